#include "common.hpp"

#include <unistd.h>

namespace gridmq::bench {

boost::asio::ip::tcp::endpoint broker_endpoint(const Options& o) {
  return {boost::asio::ip::make_address(o.host), o.port};
}

ClientConfig client_config(const Options& o, const std::string& role, std::size_t i) {
  ClientConfig c;
  c.client_id = o.client_prefix + "-" + std::to_string(::getpid()) + "-" + role + "-" +
                std::to_string(o.first_index + i);
  c.version = o.version == 5 ? protocol::Version::kV5 : protocol::Version::kV311;
  c.keep_alive_s = o.keep_alive_s;
  c.broker = broker_endpoint(o);
  if (!o.ports.empty()) c.broker.port(o.ports[(o.first_index + i) % o.ports.size()]);
  if (!o.source_ips.empty()) {
    c.source =
        boost::asio::ip::make_address(o.source_ips[(o.first_index + i) % o.source_ips.size()]);
  }
  c.max_inflight = static_cast<std::uint16_t>(std::min<std::size_t>(o.effective_inflight(), 60000));
  return c;
}

}  // namespace gridmq::bench
