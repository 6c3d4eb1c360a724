#pragma once
// Shared helpers of the storage unit tests: a temp directory, sample records, small waits.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "storage/store.hpp"

namespace gridmq::storage::test {

/// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/gridmq-storage-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string db() const { return path_ + "/db"; }

 private:
  std::string path_;
};

inline StoredMessage sample_message(MessageId id, std::string topic = "mtr/v1/t/m1/up/reading") {
  StoredMessage m;
  m.id = id;
  m.topic = std::move(topic);
  m.payload = std::string("{\"wh\":") + std::to_string(id * 1000) + "}";
  m.payload.push_back('\0');  // payloads are binary
  m.qos = 1;
  m.retain = false;
  m.properties = std::string("\x01\x01", 2);
  m.expires_at = 1'700'000'000'000 + static_cast<UnixMillis>(id);
  return m;
}

inline StoredSession sample_session(std::string client_id) {
  StoredSession s;
  s.client_id = std::move(client_id);
  s.protocol_version = 5;
  s.expiry_interval = 0xFFFFFFFF;
  s.disconnected_at = 1'700'000'000'123;
  s.subscriptions.push_back({"mtr/v1/t/+/cmd", 1, true, false, 2, 7});
  s.subscriptions.push_back({"$share/g/ops/#", 2, false, true, 0, 0});
  s.inbound_qos2 = {1, 65535, 42};
  return s;
}

inline QueueEntry sample_entry(std::uint64_t seq, MessageId message) {
  QueueEntry e;
  e.seq = seq;
  e.message = message;
  e.qos = 2;
  e.retain = seq % 2 == 0;
  e.subscription_ids = {3, 0xFFFFFFFF};
  e.queued_at = static_cast<UnixMillis>(seq) * 1000;
  return e;
}

/// Counts callbacks; wait() returns false if `n` did not arrive within `timeout`.
class Completions {
 public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
    cv_.notify_all();
  }
  bool wait(std::size_t n, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t count_ = 0;
};

}  // namespace gridmq::storage::test
