// Storage micro-benchmarks: the queue append + ack of one QoS 1 delivery (put the body and its
// queue entry, then delete both) through the RocksDB store in a temp dir under /tmp.
//
//   *_CommitSync  one thread: commit_sync(append), commit_sync(ack) — latency of a lone commit
//                 (group commit has no company; the max delay is 0 here so it does not wait).
//   *_Async       one thread keeps up to 256 commits in flight; the writer groups them — the
//                 throughput the broker's workers see.
// Arg: SyncPolicy (0 = sync, 2 = none). Body: 277 bytes (a meter reading).

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "storage/store.hpp"

namespace {

using namespace gridmq::storage;

class TempStore {
 public:
  TempStore(SyncPolicy sync, std::uint32_t max_delay_us) {
    std::string pattern = "/tmp/gridmq-storage-bench-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
    StoreOptions o;
    o.path = dir_ + "/db";
    o.sync = sync;
    o.group_commit_max_delay_us = max_delay_us;
    std::string error;
    std::vector<std::string> warnings;
    store_ = open_rocksdb_store(o, error, warnings);
    error_ = error;
  }
  ~TempStore() {
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Store* get() { return store_.get(); }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  std::string error_;
  std::unique_ptr<Store> store_;
};

StoredMessage body(MessageId id) {
  StoredMessage m;
  m.id = id;
  m.topic = "mtr/v1/acme/meter-000123/up/reading";
  m.payload.assign(277, 'x');
  m.qos = 1;
  return m;
}

QueueEntry entry(std::uint64_t seq, MessageId id) {
  QueueEntry e;
  e.seq = seq;
  e.message = id;
  e.qos = 1;
  return e;
}

Batch append(std::uint64_t n) {
  Batch b;
  b.put_message(body(n));
  b.put_queue_entry("meter-000123", entry(n, n));
  return b;
}

Batch ack(std::uint64_t n) {
  Batch b;
  b.delete_queue_entry("meter-000123", n);
  b.delete_message(n);
  return b;
}

void BM_QueueAppendAck_CommitSync(benchmark::State& state) {
  TempStore store(static_cast<SyncPolicy>(state.range(0)), 0);
  if (!store.get()) {
    state.SkipWithError(store.error().c_str());
    return;
  }
  std::uint64_t n = 0;
  for (auto _ : state) {
    ++n;
    Status a = store.get()->commit_sync(append(n));
    Status b = store.get()->commit_sync(ack(n));
    if (!a.ok || !b.ok) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());  // one item = append + ack
}

/// Keeps at most `window` commits outstanding, like workers waiting for their acks.
class Window {
 public:
  explicit Window(std::size_t limit) : limit_(limit) {}
  void acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return outstanding_ < limit_; });
    ++outstanding_;
  }
  /// Wakes the producer only at half and at zero: acks reach workers in batches, not one by one.
  void release(bool ok) {
    std::lock_guard lock(mutex_);
    --outstanding_;
    if (!ok) failed_ = true;
    if (outstanding_ == limit_ / 2 || outstanding_ == 0) cv_.notify_all();
  }
  bool drain() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return outstanding_ == 0; });
    return !failed_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t limit_;
  std::size_t outstanding_ = 0;
  bool failed_ = false;
};

void BM_QueueAppendAck_Async(benchmark::State& state) {
  TempStore store(static_cast<SyncPolicy>(state.range(0)), 2000);
  if (!store.get()) {
    state.SkipWithError(store.error().c_str());
    return;
  }
  Window window(256);
  auto done = [&window](const Status& s) { window.release(s.ok); };
  std::uint64_t n = 0;
  for (auto _ : state) {
    ++n;
    window.acquire();
    store.get()->commit(append(n), done);
    window.acquire();
    store.get()->commit(ack(n), done);
  }
  if (!window.drain()) state.SkipWithError("commit failed");
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_QueueAppendAck_CommitSync)
    ->ArgName("sync")
    ->Arg(static_cast<int>(SyncPolicy::kNone))
    ->Arg(static_cast<int>(SyncPolicy::kSync))
    ->UseRealTime();
BENCHMARK(BM_QueueAppendAck_Async)
    ->ArgName("sync")
    ->Arg(static_cast<int>(SyncPolicy::kNone))
    ->Arg(static_cast<int>(SyncPolicy::kSync))
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
