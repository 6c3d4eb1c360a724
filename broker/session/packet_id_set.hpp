#pragma once
// PacketIdSet: the packet ids of inbound QoS 2 messages whose PUBREL has not arrived (PUBREC
// sent). One pointer while empty, which is nearly always (meters publish at QoS 1): a vector
// member would cost every idle session 16 bytes more (see bench/README.md, idle connections).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace gridmq::session {

class PacketIdSet {
 public:
  bool contains(std::uint16_t id) const {
    return ids_ && std::find(ids_->begin(), ids_->end(), id) != ids_->end();
  }
  std::size_t size() const { return ids_ ? ids_->size() : 0; }
  /// Adds `id` (the caller checked it is not there yet).
  void add(std::uint16_t id) {
    if (!ids_) ids_ = std::make_unique<std::vector<std::uint16_t>>();
    ids_->push_back(id);
  }
  /// Removes `id`; false if it was not there. The last removal frees the storage.
  bool remove(std::uint16_t id) {
    if (!ids_) return false;
    auto it = std::find(ids_->begin(), ids_->end(), id);
    if (it == ids_->end()) return false;
    *it = ids_->back();
    ids_->pop_back();
    if (ids_->empty()) ids_.reset();
    return true;
  }
  std::vector<std::uint16_t> to_vector() const {
    return ids_ ? *ids_ : std::vector<std::uint16_t>();
  }
  void assign(const std::vector<std::uint16_t>& ids) {
    if (ids.empty()) {
      ids_.reset();
    } else {
      ids_ = std::make_unique<std::vector<std::uint16_t>>(ids);
    }
  }

 private:
  std::unique_ptr<std::vector<std::uint16_t>> ids_;  // null = empty
};

}  // namespace gridmq::session
