#include <algorithm>

#include "storage/store.hpp"

namespace gridmq::storage {
namespace {

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

Batch::Change make_change(Batch::Op op, std::string key = {}, std::string key2 = {}) {
  Batch::Change c{};
  c.op = op;
  c.key = std::move(key);
  c.key2 = std::move(key2);
  return c;
}

}  // namespace

void Batch::put_session(StoredSession s) {
  Change c = make_change(Op::kPutSession, s.client_id);
  c.session = std::move(s);
  changes_.push_back(std::move(c));
}

void Batch::delete_session(std::string client_id) {
  changes_.push_back(make_change(Op::kDeleteSession, std::move(client_id)));
}

void Batch::put_message(StoredMessage m) {
  Change c = make_change(Op::kPutMessage);
  c.id = m.id;
  c.message = std::move(m);
  changes_.push_back(std::move(c));
}

void Batch::delete_message(MessageId id) {
  Change c = make_change(Op::kDeleteMessage);
  c.id = id;
  changes_.push_back(std::move(c));
}

void Batch::put_queue_entry(std::string client_id, QueueEntry e) {
  Change c = make_change(Op::kPutQueueEntry, std::move(client_id));
  c.entry = std::move(e);
  changes_.push_back(std::move(c));
}

void Batch::delete_queue_entry(std::string client_id, std::uint64_t seq) {
  Change c = make_change(Op::kDeleteQueueEntry, std::move(client_id));
  c.entry.seq = seq;
  changes_.push_back(std::move(c));
}

void Batch::put_retained(StoredMessage m) {
  Change c = make_change(Op::kPutRetained, m.topic);
  c.message = std::move(m);
  changes_.push_back(std::move(c));
}

void Batch::delete_retained(std::string topic) {
  changes_.push_back(make_change(Op::kDeleteRetained, std::move(topic)));
}

void Batch::put_plugin(std::string plugin, std::string key, std::string value) {
  Change c = make_change(Op::kPutPlugin, std::move(plugin), std::move(key));
  c.value = std::move(value);
  changes_.push_back(std::move(c));
}

void Batch::delete_plugin(std::string plugin, std::string key) {
  changes_.push_back(make_change(Op::kDeletePlugin, std::move(plugin), std::move(key)));
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
                c.session.subscriptions.begin(), c.session.subscriptions.end(),
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
        if (has_nul(c.key)) return fail("plugin name contains U+0000");
        break;
    }
  }
  return Status::success();
}

}  // namespace gridmq::storage
