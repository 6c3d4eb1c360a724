// Storage micro-benchmarks: the queue append + ack of one QoS 1 delivery (put the body and its
// queue entry, then delete both) through the RocksDB store in a temp dir under /tmp.
//
//   *_CommitSync  one thread: commit_sync(append), commit_sync(ack) — latency of a lone commit
//                 (group commit has no company; the max delay is 0 here so it does not wait).
//   *_Async       one thread keeps up to 256 commits in flight; the writer groups them — the
//                 throughput the broker's workers see.
//   *_PluginState_Async  the commit meter_validation adds per message when nothing else is stored
//                 (a clean-session subscriber): one plugin key of a 130-byte meter state.
// Arg: SyncPolicy (0 = sync, 2 = none). Body: 277 bytes (a meter reading).
//   BM_Crc32c_*   the record checksum: the byte-wise table loop it replaced, slicing-by-8, and
//                 the SSE4.2 instruction (Arg: bytes).

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

#include "storage/rocksdb/crc32c.hpp"
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

void BM_PluginState_Async(benchmark::State& state) {
  TempStore store(static_cast<SyncPolicy>(state.range(0)), 2000);
  if (!store.get()) {
    state.SkipWithError(store.error().c_str());
    return;
  }
  Window window(256);
  auto done = [&window](const Status& s) { window.release(s.ok); };
  const std::string value(130, 's');
  std::uint64_t n = 0;
  for (auto _ : state) {
    ++n;
    Batch b;
    b.put_plugin("meter_validation", "acme/meter-" + std::to_string(n % 1000), value);
    window.acquire();
    store.get()->commit(std::move(b), done);
  }
  if (!window.drain()) state.SkipWithError("commit failed");
  state.SetItemsProcessed(state.iterations());
}

std::uint32_t bytewise_crc32c(std::uint32_t crc, std::string_view data) {
  static constexpr auto kTable = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char byte : data) crc = kTable[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

template <std::uint32_t (*Fn)(std::uint32_t, std::string_view)>
void BM_Crc32c(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(Fn(0, data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Crc32c_Hardware(benchmark::State& state) {
  if (!gridmq::storage::rocks::crc32c_hardware_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  BM_Crc32c<&gridmq::storage::rocks::crc32c_extend_hardware>(state);
}

BENCHMARK(BM_Crc32c<&bytewise_crc32c>)->Name("BM_Crc32c_Bytewise")->Arg(300)->Arg(4096);
BENCHMARK(BM_Crc32c<&gridmq::storage::rocks::crc32c_extend_portable>)
    ->Name("BM_Crc32c_SlicingBy8")
    ->Arg(300)
    ->Arg(4096);
BENCHMARK(BM_Crc32c_Hardware)->Arg(300)->Arg(4096);
BENCHMARK(BM_PluginState_Async)
    ->ArgName("sync")
    ->Arg(static_cast<int>(SyncPolicy::kNone))
    ->Arg(static_cast<int>(SyncPolicy::kSync))
    ->UseRealTime();
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
