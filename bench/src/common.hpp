#pragma once
// Small pieces shared by the scenarios.

#include <cstddef>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "client.hpp"
#include "options.hpp"

namespace gridmq::bench {

boost::asio::ip::tcp::endpoint broker_endpoint(const Options& o);

/// Base client config for client `i` of this process: id, version, keep-alive, source address
/// (round-robin over --source-ips).
ClientConfig client_config(const Options& o, const std::string& role, std::size_t i);

/// Sleeps in small steps until `seconds` passed or `done()` is true; returns done().
template <class Pred>
bool wait_until(double seconds, Pred done);

}  // namespace gridmq::bench

#include <chrono>
#include <thread>

namespace gridmq::bench {
template <class Pred>
bool wait_until(double seconds, Pred done) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}
}  // namespace gridmq::bench
