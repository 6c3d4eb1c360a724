// The in-memory Store (unit tests): the RocksDB backend's semantics without the disk. Commits
// apply at once, on the committing thread, under one mutex.

#include <algorithm>
#include <map>
#include <mutex>

#include "storage/store.hpp"

namespace gridmq::storage {
namespace {

class MemoryStore final : public Store {
 public:
  Status load(Snapshot& out, std::vector<std::string>& /*warnings*/) override {
    std::lock_guard lock(mutex_);
    out = Snapshot{};
    for (const auto& [id, s] : sessions_) out.sessions.push_back(s);
    for (const auto& [client, entries] : queues_) {
      if (entries.empty()) continue;
      auto& list = out.queues.emplace_back(client, std::vector<QueueEntry>{}).second;
      for (const auto& [seq, e] : entries) list.push_back(e);
    }
    for (const auto& [id, m] : messages_) out.messages.push_back(m);
    for (const auto& [topic, m] : retained_) out.retained.push_back(m);
    out.max_message_id = max_message_id_;
    return Status::success();
  }

  void commit(Batch batch, std::function<void(const Status&)> done) override {
    Status status = apply(batch);
    if (done) done(status);
  }

  Status commit_sync(Batch batch) override { return apply(batch); }

  Status get_plugin(std::string_view plugin, std::string_view key, std::string& value,
                    bool& found) override {
    std::lock_guard lock(mutex_);
    auto it = plugins_.find(Batch::plugin_record_key(plugin, key));
    found = it != plugins_.end();
    if (found) value = it->second;
    return Status::success();
  }

  void close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  Status apply(const Batch& batch) {
    Status valid = batch.validate();
    if (!valid.ok) return valid;
    std::lock_guard lock(mutex_);
    if (closed_) return Status::failure("storage: store is closed");
    for (const auto& c : batch.changes()) {
      switch (c.op) {
        case Batch::Op::kPutSession:
          sessions_[c.key] = *c.session;
          break;
        case Batch::Op::kDeleteSession:
          sessions_.erase(c.key);
          queues_.erase(c.key);
          break;
        case Batch::Op::kPutMessage:
          messages_[c.id] = c.message;
          max_message_id_ = std::max(max_message_id_, c.id);
          break;
        case Batch::Op::kDeleteMessage:
          messages_.erase(c.id);
          break;
        case Batch::Op::kPutQueueEntry:
          queues_[c.key][c.entry.seq] = c.entry;
          break;
        case Batch::Op::kDeleteQueueEntry:
          if (auto it = queues_.find(c.key); it != queues_.end()) {
            it->second.erase(c.entry.seq);
            if (it->second.empty()) queues_.erase(it);
          }
          break;
        case Batch::Op::kPutRetained:
          retained_[c.key] = c.message;
          max_message_id_ = std::max(max_message_id_, c.message.id);
          break;
        case Batch::Op::kDeleteRetained:
          retained_.erase(c.key);
          break;
        case Batch::Op::kPutPlugin:
          plugins_[c.key] = c.value;
          break;
        case Batch::Op::kDeletePlugin:
          plugins_.erase(c.key);
          break;
      }
    }
    return Status::success();
  }

  std::mutex mutex_;
  bool closed_ = false;
  std::map<std::string, StoredSession> sessions_;
  std::map<std::string, std::map<std::uint64_t, QueueEntry>> queues_;
  std::map<MessageId, StoredMessage> messages_;
  std::map<std::string, StoredMessage> retained_;
  std::map<std::string, std::string, std::less<>> plugins_;  // by Batch::plugin_record_key
  MessageId max_message_id_ = 0;  // high-water mark: survives deletes, like the RocksDB store
};

}  // namespace

std::unique_ptr<Store> make_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace gridmq::storage
