#pragma once
// Shared by burst, storm and broadcast: meters with persistent sessions spread over worker
// processes, a coordinator (the parent) that runs the operator / head-end side between rounds,
// and a QoS 1 feed that pushes many messages through one client with a bounded window.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client.hpp"
#include "connector.hpp"
#include "io_pool.hpp"
#include "options.hpp"
#include "report.hpp"
#include "system.hpp"

namespace gridmq::bench {

/// Config of meter i of this worker: persistent session (clean start 0, MQTT 5 session expiry).
ClientConfig meter_config(const Options& o, std::size_t i);

/// Global meter index of local meter i (meter ids and topics use it).
inline std::size_t global_index(const Options& o, std::size_t i) {
  return o.first_index + i;
}

/// Connects o.clients meters (persistent sessions) and, when `topic_of` is set, subscribes meter i
/// to topic_of(i) at QoS 1 and waits for every SUBACK. Adds counters connected, connect_failures,
/// subscribed, connections_lost (via `lost`), maxima connect_s, histogram connect_ns.
struct Fleet {
  ConnectOutcome out;
  std::size_t subscribed = 0;
};
Fleet open_fleet(IoPool& pool, const Options& o,
                 const std::function<ClientHandlers(std::size_t)>& h,
                 const std::function<std::string(std::size_t)>& topic_of, Result& res);

/// Runs fn(client) for every client on its own context.
void for_each_client(IoPool& pool, const std::vector<std::shared_ptr<Client>>& clients,
                     const std::function<void(Client&)>& fn);

/// Sends DISCONNECT on every client, waits briefly for them to go out, stops the pool.
void close_fleet(IoPool& pool, std::vector<std::shared_ptr<Client>>& clients);

/// Runs `work` in o.processes workers (each with its share of o.clients) for `rounds` rendezvous;
/// `coordinate(round, all_arrived, coord)` runs in this process between them. Returns the merged
/// result of every worker plus `coord`.
Result run_phased_workers(const Options& o, const std::string& scenario, int rounds,
                          const std::vector<double>& arrive_timeout_s, double release_timeout_s,
                          const std::function<Result(const Options&, WorkerSync&)>& work,
                          const std::function<void(int, bool, Result&)>& coordinate);

/// Publishes `total` QoS 1 messages through one client, at most the client's window in flight.
/// make(k, topic, payload) builds message k. Create it, connect its client with handlers(), then
/// start() it on the client's context.
class Feed : public std::enable_shared_from_this<Feed> {
 public:
  using Maker = std::function<void(std::size_t, std::string&, std::string&)>;
  Feed(std::size_t total, Maker make) : total_(total), make_(std::move(make)) {}

  /// Handlers for the feed's client (on_puback drives the feed; on_message is `on_message`).
  ClientHandlers handlers(std::function<void(const protocol::Publish&)> on_message = {},
                          std::function<void(const protocol::Suback&)> on_suback = {});
  void attach(std::shared_ptr<Client> c) { client_ = std::move(c); }
  /// Call on the client's context.
  void start() { pump(); }
  std::size_t published() const { return published_.load(); }
  std::size_t acked() const { return acked_.load(); }
  std::size_t rejected() const { return rejected_.load(); }
  bool lost() const { return lost_.load(); }
  std::uint64_t first_send_ns() const { return first_send_ns_.load(); }
  Client* client() const { return client_.get(); }

 private:
  void pump();
  std::size_t total_;
  Maker make_;
  std::shared_ptr<Client> client_;
  std::size_t next_ = 0;  // context thread only
  std::string topic_;
  std::string payload_;
  std::atomic<std::size_t> published_{0};
  std::atomic<std::size_t> acked_{0};
  std::atomic<std::size_t> rejected_{0};
  std::atomic<bool> lost_{false};
  std::atomic<std::uint64_t> first_send_ns_{0};
};

/// Connects one client (clean session) and returns it, or null after `timeout_s`.
std::shared_ptr<Client> connect_one(IoPool& pool, ClientConfig cfg, ClientHandlers h,
                                    double timeout_s, std::string* error);

/// Waits until the TCP port accepts connections (at most `timeout_s`); for --restart-cmd.
bool wait_for_port(const std::string& host, std::uint16_t port, double timeout_s);

}  // namespace gridmq::bench
