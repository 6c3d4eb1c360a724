#pragma once
// SmallMutex: a 4-byte mutex (std::mutex is 40 bytes, and every session has one; with tens of
// thousands of idle meter sessions that difference is most of a session's footprint).
// Three states: 0 free, 1 locked, 2 locked with waiters. Waiters sleep in atomic::wait (a futex
// on Linux); an uncontended lock/unlock is one compare-exchange and one exchange.

#include <atomic>
#include <cstdint>

namespace gridmq::session {

class SmallMutex {
 public:
  void lock() {
    std::uint32_t expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire)) return;
    for (int spin = 0; spin < 64; ++spin) {  // short critical sections: spin briefly first
      expected = 0;
      if (state_.load(std::memory_order_relaxed) == 0 &&
          state_.compare_exchange_weak(expected, 1, std::memory_order_acquire))
        return;
    }
    // Mark contended and sleep until the holder hands over.
    while (state_.exchange(2, std::memory_order_acquire) != 0) state_.wait(2);
  }

  bool try_lock() {
    std::uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire);
  }

  void unlock() {
    if (state_.exchange(0, std::memory_order_release) == 2) state_.notify_one();
  }

 private:
  std::atomic<std::uint32_t> state_{0};
};

}  // namespace gridmq::session
