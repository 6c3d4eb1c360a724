#include <algorithm>

#include "storage/store.hpp"

namespace gridmq::storage {
namespace {

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace

// Changes are built in place: a Change is large (every record kind's fields), so building one
// aside and moving it in costs as much as encoding it. The first change reserves room for three
// (a durable publish: body, queue entry, plugin state) in one allocation of under 1 KiB: glibc
// serves that from its small bins, while a larger request (growing a vector of Changes to four)
// makes it consolidate its fast bins first.
namespace {
constexpr std::size_t kInitialCapacity = 3;
static_assert(sizeof(Batch::Change) * kInitialCapacity < 1024);
}  // namespace

Batch::Change& Batch::add(Op op) {
  if (changes_.capacity() == 0) changes_.reserve(kInitialCapacity);
  Change& c = changes_.emplace_back();
  c.op = op;
  return c;
}

void Batch::take_plugin_changes(Batch&& from) {
  if (changes_.empty()) {
    // Take `from`'s vector itself (a publish's batch starts with the plugins' changes).
    changes_.swap(from.changes_);
    std::erase_if(changes_, [](const Change& c) { return !is_plugin_op(c.op); });
    from.changes_.clear();
    return;
  }
  for (Change& c : from.changes_) {
    if (is_plugin_op(c.op)) {
      Change& to = add(c.op);
      to.key = std::move(c.key);
      to.value = std::move(c.value);
      to.id = c.id;
    }
  }
  from.changes_.clear();
}

void Batch::put_session(StoredSession s) {
  Change& c = add(Op::kPutSession);
  c.key = s.client_id;
  c.session = std::make_shared<const StoredSession>(std::move(s));
}

void Batch::delete_session(std::string client_id) {
  add(Op::kDeleteSession).key = std::move(client_id);
}

void Batch::put_message(StoredMessage m) {
  Change& c = add(Op::kPutMessage);
  c.id = m.id;
  c.message = std::move(m);
}

void Batch::delete_message(MessageId id) {
  add(Op::kDeleteMessage).id = id;
}

void Batch::put_queue_entry(std::string client_id, QueueEntry e) {
  Change& c = add(Op::kPutQueueEntry);
  c.key = std::move(client_id);
  c.entry = std::move(e);
}

void Batch::delete_queue_entry(std::string client_id, std::uint64_t seq) {
  Change& c = add(Op::kDeleteQueueEntry);
  c.key = std::move(client_id);
  c.entry.seq = seq;
}

void Batch::put_retained(StoredMessage m) {
  Change& c = add(Op::kPutRetained);
  c.key = m.topic;
  c.message = std::move(m);
}

void Batch::delete_retained(std::string topic) {
  add(Op::kDeleteRetained).key = std::move(topic);
}

std::string Batch::plugin_record_key(std::string_view plugin, std::string_view key) {
  std::string k;
  k.reserve(plugin.size() + 1 + key.size());
  k.append(plugin).push_back('\0');
  k.append(key);
  return k;
}

namespace {

void set_plugin_key(Batch::Change& c, std::string_view plugin, std::string_view key) {
  c.key = Batch::plugin_record_key(plugin, key);
  c.id = plugin.size();
}

}  // namespace

void Batch::put_plugin(std::string_view plugin, std::string_view key, std::string value) {
  Change& c = add(Op::kPutPlugin);
  set_plugin_key(c, plugin, key);
  c.value = std::move(value);
}

void Batch::delete_plugin(std::string_view plugin, std::string_view key) {
  set_plugin_key(add(Op::kDeletePlugin), plugin, key);
}

Status Batch::validate() const {
  for (std::size_t i = 0; i < changes_.size(); ++i) {
    const Change& c = changes_[i];
    auto fail = [&](const char* why) {
      return Status::failure("storage: invalid change #" + std::to_string(i) + ": " + why);
    };
    switch (c.op) {
      case Op::kPutSession:
        if (std::any_of(
                c.session->subscriptions.begin(), c.session->subscriptions.end(),
                [](const StoredSubscription& s) { return s.qos > 2 || s.retain_handling > 2; })) {
          return fail("subscription qos or retain handling out of range");
        }
        [[fallthrough]];
      case Op::kDeleteSession:
      case Op::kDeleteQueueEntry:
        if (has_nul(c.key)) return fail("client id contains U+0000");
        break;
      case Op::kPutQueueEntry:
        if (has_nul(c.key)) return fail("client id contains U+0000");
        if (c.entry.message == 0) return fail("message id 0");
        if (c.entry.qos > 2) return fail("qos out of range");
        break;
      case Op::kPutMessage:
      case Op::kDeleteMessage:
        if (c.id == 0) return fail("message id 0");
        if (c.op == Op::kPutMessage && c.message.qos > 2) return fail("qos out of range");
        break;
      case Op::kPutRetained:
        if (c.message.qos > 2) return fail("qos out of range");
        [[fallthrough]];
      case Op::kDeleteRetained:
        if (c.key.empty()) return fail("empty retained topic");
        break;
      case Op::kPutPlugin:
      case Op::kDeletePlugin:
        if (has_nul(plugin_name(c))) return fail("plugin name contains U+0000");
        break;
    }
  }
  return Status::success();
}

}  // namespace gridmq::storage
