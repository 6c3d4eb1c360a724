#include "routing/retained_store.hpp"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "routing/levels.hpp"

namespace gridmq::routing {
namespace {

// One topic level; holds the retained message of the topic ending here, if any.
struct Node {
  std::string level;  // this node's level in its parent (empty for the root)
  detail::ChildTable<Node> children;
  MessagePtr msg;

  bool empty() const { return !msg && children.empty(); }
};

// Removes the message of the topic below `n` at the levels left in `cur` (only if it is `expected`,
// when that is given) and prunes the nodes left empty (decrementing `nodes`). @return the removed
// message, or null.
MessagePtr remove(Node& n, detail::LevelCursor cur, const Message* expected, std::size_t& nodes) {
  if (cur.done()) {
    if (!n.msg || (expected != nullptr && n.msg.get() != expected)) return nullptr;
    return std::exchange(n.msg, nullptr);
  }
  const std::string_view level = cur.next();
  const std::size_t hash = detail::level_hash(level);
  Node* child = n.children.find(level, hash);
  if (child == nullptr) return nullptr;
  MessagePtr removed = remove(*child, cur, expected, nodes);
  if (removed && child->empty()) {
    n.children.erase(child, hash);
    --nodes;
  }
  return removed;
}

// One match() call under the shared lock: collects live messages and notes expired ones.
class Walker {
 public:
  Walker(Clock::time_point now, std::vector<MessagePtr>& out, std::vector<MessagePtr>& expired)
      : now_(now), out_(out), expired_(expired) {}

  void walk(const Node& n, detail::LevelCursor cur, bool at_root) {
    if (cur.done()) {
      take(n);
      return;
    }
    const std::string_view level = cur.next();
    if (level == "#") {
      // The parent level itself ("a/#" matches "a"), then every topic below it.
      take(n);
      n.children.for_each([&](const Node& child) {
        if (!(at_root && child.level.starts_with('$'))) take_all(child);
      });
      return;
    }
    if (level == "+") {
      n.children.for_each([&](const Node& child) {
        if (!(at_root && child.level.starts_with('$'))) walk(child, cur, false);
      });
      return;
    }
    if (const Node* child = n.children.find(level, detail::level_hash(level))) {
      walk(*child, cur, false);
    }
  }

 private:
  void take(const Node& n) {
    if (!n.msg) return;
    if (expired(*n.msg, now_)) {
      expired_.push_back(n.msg);
    } else {
      out_.push_back(n.msg);
    }
  }

  void take_all(const Node& n) {
    take(n);
    n.children.for_each([&](const Node& child) { take_all(child); });
  }

  Clock::time_point now_;
  std::vector<MessagePtr>& out_;
  std::vector<MessagePtr>& expired_;
};

}  // namespace

struct RetainedStore::Impl {
  mutable std::shared_mutex mu;
  Node root;
  std::size_t count = 0;  // retained messages
  std::size_t nodes = 0;  // besides the root
};

RetainedStore::RetainedStore() : impl_(std::make_unique<Impl>()) {}
RetainedStore::~RetainedStore() = default;

void RetainedStore::put(const MessagePtr& msg) {
  if (!msg) return;
  MessagePtr old;  // released after the lock
  std::unique_lock lock(impl_->mu);
  if (msg->payload.empty()) {
    old = remove(impl_->root, detail::LevelCursor(msg->topic), nullptr, impl_->nodes);
    if (old) --impl_->count;
    return;
  }
  Node* n = &impl_->root;
  for (detail::LevelCursor cur(msg->topic); !cur.done();) {
    const std::string_view level = cur.next();
    bool created = false;
    n = &n->children.find_or_create(level, detail::level_hash(level), created);
    if (created) ++impl_->nodes;
  }
  if (!n->msg) ++impl_->count;
  old = std::exchange(n->msg, msg);
}

void RetainedStore::match(std::string_view filter, Clock::time_point now,
                          std::vector<MessagePtr>& out) {
  std::vector<MessagePtr> expired;  // allocates only when something has expired
  {
    std::shared_lock lock(impl_->mu);
    Walker walker(now, out, expired);
    walker.walk(impl_->root, detail::LevelCursor(filter), true);
  }
  if (expired.empty()) return;
  std::unique_lock lock(impl_->mu);
  for (const MessagePtr& m : expired) {
    // Only if it is still the same message: it may have been replaced since the shared lock.
    if (remove(impl_->root, detail::LevelCursor(m->topic), m.get(), impl_->nodes)) --impl_->count;
  }
}

std::size_t RetainedStore::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->count;
}

std::size_t RetainedStore::node_count() const {
  std::shared_lock lock(impl_->mu);
  return impl_->nodes;
}

}  // namespace gridmq::routing
