#pragma once
// What the session layer needs from a network connection, without knowing sockets.
//
// THREADING: wake() and kick() may be called from any thread; the connection runs the resulting
// work on its own worker.

#include <functional>
#include <memory>

#include "protocol/reason_code.hpp"

namespace gridmq::session {

class Peer {
 public:
  virtual ~Peer() = default;
  /// Messages were queued on the peer's session: drain them soon (coalesced: many wakes before
  /// the worker gets to it cost one turn).
  virtual void wake() = 0;
  /// Disconnect the peer (v5: DISCONNECT with `reason` first), e.g. on session takeover.
  virtual void kick(protocol::ReasonCode reason) = 0;
  /// Runs `fn` on the peer's worker thread, then sends whatever it produced (e.g. an
  /// acknowledgement that had to wait for a storage commit).
  virtual void run_on_worker(std::function<void()> fn) = 0;
  /// A strong reference to this peer (the session registry keeps one while it owns a session).
  virtual std::shared_ptr<Peer> shared_peer() = 0;
};

}  // namespace gridmq::session
