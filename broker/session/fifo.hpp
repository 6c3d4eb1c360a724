#pragma once
// Fifo<T>: a queue on a vector that allocates nothing while empty (std::deque allocates a block of
// ~512 bytes at construction, which tens of thousands of idle sessions would pay for nothing).

#include <cstddef>
#include <utility>
#include <vector>

namespace gridmq::session {

template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  void push_back(T v) { items_.push_back(std::move(v)); }
  void pop_front() {
    items_[head_] = T{};
    ++head_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    items_.clear();
    if (items_.capacity() > 64) std::vector<T>().swap(items_);
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace gridmq::session
