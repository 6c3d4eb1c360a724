#include "routing/subscription_tree.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "routing/levels.hpp"

namespace gridmq::routing {
namespace {

struct Sub {
  SubscriberKey who = 0;
  SubscriptionOptions opts;
};

// The subscribers of one filter (or of one $share group): a flat vector for fast iteration in
// match(), plus a key -> position index once it grows large enough that linear lookups on
// subscribe/unsubscribe would hurt (e.g. thousands of sessions on one broadcast filter).
class SubList {
 public:
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const Sub& operator[](std::size_t i) const { return items_[i]; }
  std::vector<Sub>::const_iterator begin() const { return items_.begin(); }
  std::vector<Sub>::const_iterator end() const { return items_.end(); }

  /// @return true if `who` was not in the list yet.
  bool upsert(SubscriberKey who, const SubscriptionOptions& opts) {
    if (const std::size_t pos = find(who); pos != kNone) {
      items_[pos].opts = opts;
      return false;
    }
    items_.push_back(Sub{who, opts});
    if (index_) {
      try {
        index_->emplace(who, items_.size() - 1);
      } catch (...) {
        items_.pop_back();
        throw;
      }
    } else if (items_.size() > kIndexAbove) {
      build_index();
    }
    return true;
  }

  /// @return true if `who` was in the list.
  bool erase(SubscriberKey who) {
    const std::size_t pos = find(who);
    if (pos == kNone) return false;
    if (index_) index_->erase(who);
    const std::size_t last = items_.size() - 1;
    if (pos != last) {
      items_[pos] = items_[last];
      if (index_) (*index_)[items_[pos].who] = pos;
    }
    items_.pop_back();
    if (index_ && items_.size() < kIndexBelow) index_.reset();
    return true;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static constexpr std::size_t kIndexAbove = 16;
  static constexpr std::size_t kIndexBelow = 8;

  std::size_t find(SubscriberKey who) const {
    if (index_) {
      const auto it = index_->find(who);
      return it == index_->end() ? kNone : it->second;
    }
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].who == who) return i;
    }
    return kNone;
  }

  void build_index() {
    // Leaves the list unindexed (still correct, just slower) if building throws.
    auto index = std::make_unique<std::unordered_map<SubscriberKey, std::size_t>>();
    index->reserve(items_.size() * 2);
    for (std::size_t i = 0; i < items_.size(); ++i) index->emplace(items_[i].who, i);
    index_ = std::move(index);
  }

  std::vector<Sub> items_;
  // Built past kIndexAbove entries, dropped below kIndexBelow; null for the common small lists
  // (keeps trie nodes small).
  std::unique_ptr<std::unordered_map<SubscriberKey, std::size_t>> index_;
};

// A $share group; its identity is (name, filter), the filter being the trie node holding it.
struct Group {
  explicit Group(std::string_view n) : name(n) {}
  std::string name;
  SubList members;
  mutable std::atomic<std::size_t> next{0};  // round-robin cursor, bumped under the shared lock
};

struct Node {
  std::string level;                  // this node's level in its parent (empty for the root)
  detail::ChildTable<Node> children;  // literal next levels
  std::unique_ptr<Node> plus;         // next level '+'
  std::unique_ptr<Node> hash;         // next level '#' (a leaf: '#' is always the last level)
  SubList subs;                       // plain subscriptions whose filter ends here
  std::vector<std::unique_ptr<Group>> groups;  // $share groups whose filter ends here

  bool empty() const {
    return children.empty() && !plus && !hash && subs.empty() && groups.empty();
  }

  Group* find_group(std::string_view name) const {
    for (const auto& g : groups) {
      if (g->name == name) return g.get();
    }
    return nullptr;
  }
};

struct Target {
  std::string_view filter;  // without the $share prefix
  std::string_view group;   // empty for a plain subscription
  bool shared = false;
};

Target parse_target(std::string_view filter) {
  if (const auto s = detail::split_share(filter)) return Target{s->filter, s->group, true};
  return Target{filter, {}, false};
}

// Removes `who` from the subscription ending below `n` at the levels left in `cur`, pruning every
// node left empty on the way back up (decrementing `nodes`). @return true if it existed.
bool remove(Node& n, detail::LevelCursor cur, const Target& t, SubscriberKey who,
            std::size_t& nodes) {
  if (cur.done()) {
    if (!t.shared) return n.subs.erase(who);
    for (auto it = n.groups.begin(); it != n.groups.end(); ++it) {
      if ((*it)->name != t.group) continue;
      if (!(*it)->members.erase(who)) return false;
      if ((*it)->members.empty()) n.groups.erase(it);
      return true;
    }
    return false;
  }
  const std::string_view level = cur.next();
  if (level == "+" || level == "#") {
    std::unique_ptr<Node>& child = level == "+" ? n.plus : n.hash;
    if (!child || !remove(*child, cur, t, who, nodes)) return false;
    if (child->empty()) {
      child.reset();
      --nodes;
    }
    return true;
  }
  const std::size_t hash = detail::level_hash(level);
  Node* child = n.children.find(level, hash);
  if (child == nullptr || !remove(*child, cur, t, who, nodes)) return false;
  if (child->empty()) {
    n.children.erase(child, hash);
    --nodes;
  }
  return true;
}

// One match() call: walks the trie along the topic and appends raw (unaggregated) matches.
class Walker {
 public:
  Walker(SubscriberKey publisher, std::vector<Match>& out) : publisher_(publisher), out_(out) {}

  void walk(const Node& n, detail::LevelCursor cur, bool dollar_first) {
    // '#' matches the remaining levels, and also the parent level itself ("a/#" matches "a").
    if (n.hash && !dollar_first) collect(*n.hash);
    if (cur.done()) {
      collect(n);
      return;
    }
    const std::string_view level = cur.next();
    if (!n.children.empty()) {
      if (const Node* child = n.children.find(level, detail::level_hash(level))) {
        walk(*child, cur, false);
      }
    }
    if (n.plus && !dollar_first) walk(*n.plus, cur, false);
  }

  /// How many sub lists / groups contributed matches: with at most one, no subscriber can appear
  /// twice and the aggregation pass can be skipped.
  unsigned sources() const { return sources_; }

 private:
  void emit(const Sub& s, bool shared) {
    Match& m = out_.emplace_back();
    m.subscriber = s.who;
    m.qos = s.opts.qos;
    m.retain_as_published = s.opts.retain_as_published;
    m.shared = shared;
    if (s.opts.subscription_id != 0) m.subscription_ids.push_back(s.opts.subscription_id);
  }

  void collect(const Node& n) {
    const std::size_t before = out_.size();
    for (const Sub& s : n.subs) {
      if (s.opts.no_local && s.who == publisher_) continue;
      emit(s, false);
    }
    if (out_.size() != before) ++sources_;
    for (const auto& g : n.groups) pick(*g);
  }

  void pick(const Group& g) {
    const std::size_t count = g.members.size();
    if (count == 0) return;
    const std::size_t start = g.next.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i) {
      const Sub& s = g.members[(start + i) % count];
      if (s.opts.no_local && s.who == publisher_) continue;
      emit(s, true);
      ++sources_;
      return;
    }
  }

  SubscriberKey publisher_;
  std::vector<Match>& out_;
  unsigned sources_ = 0;
};

// Puts the non-shared matches appended since `base` first, ordered by subscriber, and merges the
// ones of the same subscriber (max QoS, OR of retain_as_published, union of subscription ids,
// sorted and deduplicated). Shared matches follow, untouched.
void aggregate(std::vector<Match>& out, std::size_t base) {
  const auto first = out.begin() + static_cast<std::ptrdiff_t>(base);
  std::sort(first, out.end(), [](const Match& a, const Match& b) {
    if (a.shared != b.shared) return !a.shared;
    return !a.shared && a.subscriber < b.subscriber;
  });
  auto w = first;
  auto r = first;
  while (r != out.end()) {
    if (w != r) *w = std::move(*r);
    ++r;
    if (!w->shared) {
      bool merged = false;
      while (r != out.end() && !r->shared && r->subscriber == w->subscriber) {
        w->qos = std::max(w->qos, r->qos);
        w->retain_as_published = w->retain_as_published || r->retain_as_published;
        w->subscription_ids.insert(w->subscription_ids.end(), r->subscription_ids.begin(),
                                   r->subscription_ids.end());
        merged = true;
        ++r;
      }
      if (merged && w->subscription_ids.size() > 1) {
        std::sort(w->subscription_ids.begin(), w->subscription_ids.end());
        w->subscription_ids.erase(
            std::unique(w->subscription_ids.begin(), w->subscription_ids.end()),
            w->subscription_ids.end());
      }
    }
    ++w;
  }
  out.erase(w, out.end());
}

}  // namespace

struct SubscriptionTree::Impl {
  mutable std::shared_mutex mu;
  Node root;
  std::size_t count = 0;  // (filter, subscriber) pairs
  std::size_t nodes = 0;  // besides the root
};

SubscriptionTree::SubscriptionTree() : impl_(std::make_unique<Impl>()) {}
SubscriptionTree::~SubscriptionTree() = default;

bool SubscriptionTree::subscribe(std::string_view filter, SubscriberKey who,
                                 const SubscriptionOptions& opts) {
  const Target t = parse_target(filter);
  std::unique_lock lock(impl_->mu);
  Node* n = &impl_->root;
  for (detail::LevelCursor cur(t.filter); !cur.done();) {
    const std::string_view level = cur.next();
    if (level == "+" || level == "#") {
      std::unique_ptr<Node>& slot = level == "+" ? n->plus : n->hash;
      if (!slot) {
        slot = std::make_unique<Node>();
        slot->level = std::string(level);
        ++impl_->nodes;
      }
      n = slot.get();
    } else {
      bool created = false;
      n = &n->children.find_or_create(level, detail::level_hash(level), created);
      if (created) ++impl_->nodes;
    }
  }
  bool added = false;
  if (t.shared) {
    Group* g = n->find_group(t.group);
    if (g == nullptr) {
      n->groups.push_back(std::make_unique<Group>(t.group));
      g = n->groups.back().get();
    }
    added = g->members.upsert(who, opts);
  } else {
    added = n->subs.upsert(who, opts);
  }
  if (added) ++impl_->count;
  return added;
}

bool SubscriptionTree::unsubscribe(std::string_view filter, SubscriberKey who) {
  const Target t = parse_target(filter);
  std::unique_lock lock(impl_->mu);
  if (!remove(impl_->root, detail::LevelCursor(t.filter), t, who, impl_->nodes)) return false;
  --impl_->count;
  return true;
}

void SubscriptionTree::match(std::string_view topic, SubscriberKey publisher,
                             std::vector<Match>& out) const {
  const std::size_t base = out.size();
  Walker walker(publisher, out);
  {
    std::shared_lock lock(impl_->mu);
    walker.walk(impl_->root, detail::LevelCursor(topic), topic.starts_with('$'));
  }
  if (walker.sources() > 1) aggregate(out, base);
}

std::size_t SubscriptionTree::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->count;
}

std::size_t SubscriptionTree::node_count() const {
  std::shared_lock lock(impl_->mu);
  return impl_->nodes;
}

}  // namespace gridmq::routing
