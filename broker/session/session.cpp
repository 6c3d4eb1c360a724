#include "session/session.hpp"

namespace gridmq::session {

StoredSubscription* find_subscription(Session::State& s, std::string_view filter) {
  for (auto& sub : s.subscriptions) {
    if (sub.entry.filter == filter) return &sub;
  }
  return nullptr;
}

std::uint16_t next_packet_id(Session::State& s) {
  for (int tries = 0; tries < 65536; ++tries) {
    s.last_packet_id = static_cast<std::uint16_t>(s.last_packet_id + 1);
    if (s.last_packet_id == 0) continue;
    bool used = false;
    for (const auto& f : s.inflight) {
      if (f.packet_id == s.last_packet_id) {
        used = true;
        break;
      }
    }
    if (!used) return s.last_packet_id;
  }
  return 0;  // cannot happen: the in-flight window is far below 65535
}

}  // namespace gridmq::session
