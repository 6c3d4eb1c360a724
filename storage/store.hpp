#pragma once
// The Store: what gridmq keeps durable, shaped like broker events. The broker collects the changes
// one event causes (a PUBLISH: its body, the queue entries it creates, the retained update) in one
// Batch and commits it; it acknowledges the PUBLISH only when the commit's callback reports
// success (design.md §2.3).
//
// THREADING: commit() may be called from any thread; callbacks run on the store's writer thread
// (the in-memory store: on the committing thread) and must only post work elsewhere (never block,
// never throw, never call commit_sync). load() runs once at startup before any commit.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/records.hpp"

namespace gridmq::storage {

/// Outcome of a storage operation: ok, or a message saying what failed (and where).
struct Status {
  bool ok = true;
  std::string message;
  static Status success() { return {}; }
  static Status failure(std::string m) { return {false, std::move(m)}; }
};

/// A set of changes committed atomically, in the order they were added.
class Batch {
 public:
  enum class Op : std::uint8_t {
    kPutSession,        // session
    kDeleteSession,     // key = client id; also deletes every queue entry of that client
    kPutMessage,        // message
    kDeleteMessage,     // id
    kPutQueueEntry,     // key = client id, entry (append or update by seq)
    kDeleteQueueEntry,  // key = client id, entry.seq
    kPutRetained,       // key = topic, message (stored with the retained record itself)
    kDeleteRetained,    // key = topic
    kPutPlugin,         // key = <plugin name> U+0000 <key>, id = the name's length; value
    kDeletePlugin,      // key and id as kPutPlugin
  };
  /// put_plugin / delete_plugin: the only kinds a plugin's changes may have.
  static bool is_plugin_op(Op op) { return op == Op::kPutPlugin || op == Op::kDeletePlugin; }

  struct Change {
    Op op;
    std::string key;
    std::string value;
    /// kPutSession (never null then). Held out of line: sessions are rare in batches, and a
    /// smaller Change lets a publish's batch (body, queue entry, plugin state) fit one small
    /// allocation.
    std::shared_ptr<const StoredSession> session;
    StoredMessage message;
    QueueEntry entry;
    MessageId id = 0;
  };

  void put_session(StoredSession s);
  void delete_session(std::string client_id);
  void put_message(StoredMessage m);
  void delete_message(MessageId id);
  void put_queue_entry(std::string client_id, QueueEntry e);
  void delete_queue_entry(std::string client_id, std::uint64_t seq);
  void put_retained(StoredMessage m);  // keyed by m.topic
  void delete_retained(std::string topic);
  /// The plugin's name and its key become one string (the record key of the plugins key space),
  /// built here in one allocation; see plugin_name() and plugin_key().
  void put_plugin(std::string_view plugin, std::string_view key, std::string value);
  void delete_plugin(std::string_view plugin, std::string_view key);
  /// "<plugin> U+0000 <key>": a kPutPlugin / kDeletePlugin change's `key`, and the record key
  /// of the plugins key space in every backend.
  static std::string plugin_record_key(std::string_view plugin, std::string_view key);
  /// The parts of a kPutPlugin / kDeletePlugin change's `key`.
  static std::string_view plugin_name(const Change& c) {
    return std::string_view(c.key).substr(0, static_cast<std::size_t>(c.id));
  }
  static std::string_view plugin_key(const Change& c) {
    return std::string_view(c.key).substr(static_cast<std::size_t>(c.id) + 1);
  }
  /// Moves the plugin key-value changes (put_plugin / delete_plugin) of `from` to the end of
  /// this batch, in order; any other kind of change in `from` is not a plugin's to make and is
  /// dropped. `from` is left empty. Into an empty batch this moves `from`'s storage, so a
  /// batch a plugin filled (room for a publish's three changes) becomes the publish's.
  void take_plugin_changes(Batch&& from);

  /// Checks what the backends cannot store: a client id or plugin name containing U+0000 (it
  /// separates key parts), a message id 0. A commit of an invalid batch fails as a whole.
  [[nodiscard]] Status validate() const;

  bool empty() const { return changes_.empty(); }
  std::size_t size() const { return changes_.size(); }
  const std::vector<Change>& changes() const { return changes_; }

 private:
  Change& add(Op op);

  std::vector<Change> changes_;
};

/// Everything restored at startup.
struct Snapshot {
  std::vector<StoredSession> sessions;
  /// Queue entries per client id, each list in seq order.
  std::vector<std::pair<std::string, std::vector<QueueEntry>>> queues;
  std::vector<StoredMessage> messages;  // bodies referenced by queue entries
  std::vector<StoredMessage> retained;
  MessageId max_message_id = 0;  // the broker continues after it
};

/// How commits reach the disk (config `[storage] sync`).
enum class SyncPolicy : std::uint8_t {
  kSync,     // WAL fsync per group commit (default): an acknowledged message survives power loss
  kBatched,  // fsync at most every `batch_interval_ms`; commits (and acks) wait for that fsync
  kNone,     // no fsync (benchmarks only): a crash of the machine loses recent commits
};

struct StoreOptions {
  std::string path;  // directory of the database
  SyncPolicy sync = SyncPolicy::kSync;
  std::uint32_t group_commit_max_delay_us = 500;  // how long the writer gathers commits
  std::uint32_t group_commit_max_commits = 256;   // a group this large is written at once
  std::uint32_t batch_interval_ms = 10;           // kBatched
  bool quarantine_corrupt = false;  // move undecodable records aside instead of refusing to start
};

class Store {
 public:
  virtual ~Store() = default;

  /// Reads everything back. A record that fails its checksum or version check is an error
  /// naming its column family and key (unless quarantine_corrupt: then it is moved to the
  /// quarantine column family and reported in `warnings`).
  [[nodiscard]] virtual Status load(Snapshot& out, std::vector<std::string>& warnings) = 0;

  /// Commits `batch` asynchronously; `done` runs on the writer thread once it is durable per the
  /// sync policy (or failed). Commits from all threads are grouped into one write + one fsync.
  virtual void commit(Batch batch, std::function<void(const Status&)> done) = 0;

  /// Like commit(), but `done` also gets the batch back after its write, to destroy where it
  /// pleases: on the thread that built it, its memory goes back to that thread's malloc arena
  /// without the arena lock that a free from the writer thread takes (under a publish load that
  /// was microseconds per message, bench/README.md). The default frees the batch in the store
  /// and hands back an empty one.
  virtual void commit_and_return(Batch batch, std::function<void(const Status&, Batch&&)> done) {
    commit(std::move(batch), [done = std::move(done)](const Status& s) {
      if (done) done(s, Batch{});
    });
  }

  /// Commits and waits (startup, shutdown, tests). Never from a commit callback.
  [[nodiscard]] virtual Status commit_sync(Batch batch) = 0;

  /// Reads one plugin value (plugins restore their own state at init).
  [[nodiscard]] virtual Status get_plugin(std::string_view plugin, std::string_view key,
                                          std::string& value, bool& found) = 0;

  /// Waits for every commit handed in so far, then stops the writer. Idempotent. Commits after
  /// close fail with "storage: store is closed".
  virtual void close() = 0;
};

/// Opens (creating if needed) the RocksDB store at options.path. Throws nothing: on failure
/// returns null and sets `error` (e.g. "cannot open RocksDB at './data': <reason>"). Conditions
/// worth logging that do not stop the store (sync = none) are appended to `warnings`.
std::unique_ptr<Store> open_rocksdb_store(const StoreOptions& options, std::string& error,
                                          std::vector<std::string>& warnings);

/// An in-memory Store with the same semantics (unit tests only; commits are immediate).
std::unique_ptr<Store> make_memory_store();

}  // namespace gridmq::storage
