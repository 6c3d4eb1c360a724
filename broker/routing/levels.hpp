#pragma once
// Internal helpers of the routing layer: walking a topic (or filter) level by level without
// allocating, the children table of trie nodes, and the $share prefix split.
// Not part of the routing API; deliberately independent of protocol/topic.hpp.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gridmq::routing::detail {

/// Iterates the '/'-separated levels of a topic name or filter. "a//b" has three levels, the
/// middle one empty; "" has one empty level (callers never pass an empty topic).
class LevelCursor {
 public:
  explicit LevelCursor(std::string_view s) : rest_(s) {}

  /// True when every level has been consumed.
  bool done() const { return done_; }

  /// Returns the next level and advances. Must not be called when done().
  std::string_view next() {
    const std::size_t slash = rest_.find('/');
    std::string_view level;
    if (slash == std::string_view::npos) {
      level = rest_;
      rest_ = {};
      done_ = true;
    } else {
      level = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return level;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

/// Hash of one level, computed once per level and reused by every table probed with it.
inline std::size_t level_hash(std::string_view level) {
  return std::hash<std::string_view>{}(level);
}

/// The children of a trie node: an open-addressing table (linear probing, backward-shift erase)
/// of {hash, owned child}. Each child stores its own level string in `NodeT::level`, so a lookup
/// costs one probe into the slot array plus the child itself: about half the dependent loads of
/// a node-based std::unordered_map, which matters with 100k-node tries that do not fit in cache.
template <class NodeT>
class ChildTable {
 public:
  ChildTable() = default;
  ChildTable(const ChildTable&) = delete;
  ChildTable& operator=(const ChildTable&) = delete;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  NodeT* find(std::string_view level, std::size_t hash) const {
    if (size_ == 0) return nullptr;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.node) return nullptr;
      if (s.hash == hash && s.node->level == level) return s.node.get();
    }
  }

  /// The child for `level`, created (with `level` set) if missing. `created` tells which.
  NodeT& find_or_create(std::string_view level, std::size_t hash, bool& created) {
    created = false;
    if (NodeT* n = find(level, hash)) return *n;
    if ((size_ + 1) * 4 > capacity() * 3) grow();  // max load 3/4
    auto node = std::make_unique<NodeT>();
    node->level = std::string(level);
    std::size_t i = hash & mask_;
    while (slots_[i].node) i = (i + 1) & mask_;
    slots_[i].hash = hash;
    slots_[i].node = std::move(node);
    ++size_;
    created = true;
    return *slots_[i].node;
  }

  /// Destroys `child` (which must be in this table).
  void erase(const NodeT* child, std::size_t hash) {
    std::size_t i = hash & mask_;
    while (slots_[i].node.get() != child) i = (i + 1) & mask_;
    slots_[i].node.reset();
    --size_;
    if (size_ == 0) {
      slots_.reset();
      mask_ = 0;
      return;
    }
    // Backward shift: move later entries of the cluster into the hole when their home slot is
    // not cyclically within (hole, their position].
    for (std::size_t j = (i + 1) & mask_; slots_[j].node; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].hash & mask_;
      const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
  }

  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < capacity(); ++i) {
      if (slots_[i].node) f(*slots_[i].node);
    }
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    std::unique_ptr<NodeT> node;  // null: free slot
  };

  std::size_t capacity() const { return slots_ ? mask_ + 1 : 0; }

  void grow() {
    const std::size_t cap = capacity() == 0 ? 2 : capacity() * 2;
    auto fresh = std::make_unique<Slot[]>(cap);
    const std::size_t mask = cap - 1;
    for (std::size_t i = 0; i < capacity(); ++i) {
      if (!slots_[i].node) continue;
      std::size_t k = slots_[i].hash & mask;
      while (fresh[k].node) k = (k + 1) & mask;
      fresh[k] = std::move(slots_[i]);
    }
    slots_ = std::move(fresh);
    mask_ = mask;
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

struct ShareSplit {
  std::string_view group;
  std::string_view filter;
};

/// "$share/<group>/<filter>" -> {group, filter}; std::nullopt for anything else (including a
/// malformed "$share/..." without a filter part, which is then treated as a plain filter).
inline std::optional<ShareSplit> split_share(std::string_view filter) {
  constexpr std::string_view kPrefix = "$share/";
  if (!filter.starts_with(kPrefix)) return std::nullopt;
  const std::string_view rest = filter.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size()) {
    return std::nullopt;
  }
  return ShareSplit{rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace gridmq::routing::detail
