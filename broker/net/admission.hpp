#pragma once
// Admission control of one listener: a token bucket of `rate` new connections per second, with a
// burst of one second's worth. Checked right after accept, before any TLS work, so a connect or
// handshake storm costs the broker one accept and one close per excess connection.
//
// THREADING: used on the Server's control thread only (where accepts complete).

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace gridmq::net {

class AdmissionLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// rate = 0: unlimited.
  explicit AdmissionLimiter(std::uint32_t rate) : rate_(rate), tokens_(rate) {}

  /// Whether a connection accepted at `now` is admitted. A refused one is counted.
  bool admit(Clock::time_point now) {
    if (rate_ == 0) return true;
    if (last_ != Clock::time_point{}) {
      const double elapsed = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(rate_, tokens_ + std::max(0.0, elapsed) * rate_);
    }
    last_ = now;
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    ++refused_;
    return false;
  }

  /// Connections refused so far.
  std::uint64_t refused() const { return refused_; }

  /// Whether a refusal warning may be logged at `now` (at most one a second), and how many
  /// connections were refused since the last one.
  bool should_log(Clock::time_point now, std::uint64_t& since_last) {
    if (now - last_log_ < std::chrono::seconds(1)) return false;
    last_log_ = now;
    since_last = refused_ - logged_;
    logged_ = refused_;
    return true;
  }

 private:
  std::uint32_t rate_;
  double tokens_;
  Clock::time_point last_{};
  Clock::time_point last_log_{};
  std::uint64_t refused_ = 0;
  std::uint64_t logged_ = 0;
};

}  // namespace gridmq::net
