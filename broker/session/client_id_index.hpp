#pragma once
// ClientIdIndex: client id -> session slot index, for BrokerCore's session table.
//
// An open-addressing hash table of slot indices (linear probing, backward-shift deletion, at
// most half full): 8 to 16 bytes per session, where a std::unordered_map node with its bucket
// took 56 (an idle connection's memory is a benchmarked target, see bench/README.md). The ids
// are not stored: every call gets `id_of(slot)`, which returns the client id of the session in
// that slot, and must do so for every slot in the index.
//
// THREADING: none of its own; BrokerCore guards it with sessions_mu_.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace gridmq::session {

class ClientIdIndex {
 public:
  template <class IdOf>
  std::optional<std::uint32_t> find(std::string_view id, const IdOf& id_of) const {
    if (size_ == 0) return std::nullopt;
    for (std::size_t i = home(id);; i = next(i)) {
      const std::uint32_t e = table_[i];
      if (e == kEmpty) return std::nullopt;
      if (id_of(e - 1) == id) return e - 1;
    }
  }

  /// Adds `id` -> `slot`; `id` must not be in the index yet.
  template <class IdOf>
  void insert(std::string_view id, std::uint32_t slot, const IdOf& id_of) {
    if ((size_ + 1) * 2 > table_.size()) grow(id_of);
    place(home(id), slot);
    ++size_;
  }

  /// Removes `id`; false when it was not in the index.
  template <class IdOf>
  bool erase(std::string_view id, const IdOf& id_of) {
    if (size_ == 0) return false;
    std::size_t hole = home(id);
    for (;; hole = next(hole)) {
      const std::uint32_t e = table_[hole];
      if (e == kEmpty) return false;
      if (id_of(e - 1) == id) break;
    }
    // Backward shift: move up every later entry of the run that may live at the hole (its
    // home is not cyclically within (hole, j]), so no lookup meets an empty entry too early.
    for (std::size_t j = next(hole); table_[j] != kEmpty; j = next(j)) {
      const std::size_t k = home(id_of(table_[j] - 1));
      const bool stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
      if (stays) continue;
      table_[hole] = table_[j];
      hole = j;
    }
    table_[hole] = kEmpty;
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }

  /// Calls fn(slot) for every slot in the index, in no particular order.
  template <class Fn>
  void for_each(const Fn& fn) const {
    for (const std::uint32_t e : table_) {
      if (e != kEmpty) fn(e - 1);
    }
  }

 private:
  static constexpr std::uint32_t kEmpty = 0;  // entries hold slot + 1

  std::size_t home(std::string_view id) const {
    return std::hash<std::string_view>{}(id) & (table_.size() - 1);
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (table_.size() - 1); }
  void place(std::size_t i, std::uint32_t slot) {
    while (table_[i] != kEmpty) i = next(i);
    table_[i] = slot + 1;
  }
  template <class IdOf>
  void grow(const IdOf& id_of) {
    std::vector<std::uint32_t> old(table_.empty() ? 16 : table_.size() * 2, kEmpty);
    old.swap(table_);
    for (const std::uint32_t e : old) {
      if (e != kEmpty) place(home(id_of(e - 1)), e - 1);
    }
  }

  std::vector<std::uint32_t> table_;  // size a power of two (or empty)
  std::size_t size_ = 0;
};

}  // namespace gridmq::session
