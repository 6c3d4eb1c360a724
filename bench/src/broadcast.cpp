// broadcast: one command to N connected meters (persistent sessions). --target meter: every meter
// subscribes to its own mtr/v1/<tenant>/<meter>/cmd and the operator publishes the command once
// per meter; --target group: every meter subscribes to ops/v1/<tenant>/grp/<group>/cmd and the
// operator publishes once. With --ack each meter answers on .../cmd/ack (QoS 1) and the operator,
// subscribed to mtr/v1/<tenant>/+/cmd/ack, times the arrival of every ack.
//
// Rounds: (0) meters subscribed -> the operator publishes (and its PUBACKs come back); released:
// meters wait for their command; (1) meters done -> the operator waits for the acks.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "common.hpp"
#include "fleet.hpp"
#include "payload.hpp"
#include "scenarios.hpp"

namespace gridmq::bench {

namespace {

namespace pr = gridmq::protocol;

struct Lane {
  std::uint64_t received_unique = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t foreign = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t last_recv_ns = 0;
  Histogram deliver_ns;
};

Result broadcast_worker(const Options& o, WorkerSync& sync) {
  Result res;
  res.params = o.to_json();
  IoPool pool(static_cast<std::size_t>(std::max(1, o.threads)));
  pool.start();
  std::vector<Lane> lanes(pool.size());
  std::vector<char> got(o.clients, 0);  // touched only on the meter's context
  std::vector<std::shared_ptr<Client>>* clients_ptr = nullptr;
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> lost{0};
  std::atomic<std::uint64_t> ack_pubacks{0};

  auto handlers = [&](std::size_t i) {
    ClientHandlers h;
    const std::size_t ctx = i % pool.size();
    h.on_message = [&, i, ctx](const pr::Publish& p) {
      Lane& l = lanes[ctx];
      const std::uint64_t now = now_ns();
      const auto st = parse_stamp(p.payload);
      if (!st) {
        ++l.foreign;
        return;
      }
      if (got[i]) {
        ++l.duplicates;
        return;
      }
      got[i] = 1;
      ++l.received_unique;
      l.last_recv_ns = std::max(l.last_recv_ns, now);
      if (now >= st->sent_ns) l.deliver_ns.record(now - st->sent_ns);
      received.fetch_add(1);
      if (o.ack && clients_ptr) {
        auto& c = (*clients_ptr)[i];
        const std::string id = meter_id(global_index(o, i));
        if (c &&
            c->publish(ack_topic(o.tenant, id), ack_payload(id, st->seq, st->sent_ns), 1, now)) {
          ++l.acks_sent;
        }
      }
    };
    h.on_puback = [&](std::uint64_t, pr::ReasonCode) { ack_pubacks.fetch_add(1); };
    h.on_lost = [&](const boost::system::error_code&) { lost.fetch_add(1); };
    return h;
  };
  const std::string group = group_topic(o.tenant, o.group);
  Fleet fleet = open_fleet(
      pool, o, handlers,
      [&](std::size_t i) {
        return o.group_target ? group : cmd_topic(o.tenant, meter_id(global_index(o, i)));
      },
      res);
  // Handlers read the client list only after this point (messages arrive after round 0).
  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&] { clients_ptr = &fleet.out.clients; });
  }
  const std::size_t expected = fleet.subscribed;

  sync.arrive();
  sync.wait_release(o.connect_timeout_s * 2 + 60);
  // The operator has published; wait for our commands (and our acks' PUBACKs).
  const bool all = wait_until(o.drain_s + o.connect_timeout_s, [&] {
    return received.load() >= expected && (!o.ack || ack_pubacks.load() >= expected);
  });
  if (!all) res.errors.push_back("not every meter got its command (and acked it) in time");
  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&, c] {
      const Lane& l = lanes[c];
      res.add("received_unique", l.received_unique);
      res.add("duplicates", l.duplicates);
      res.add("foreign", l.foreign);
      res.add("acks_sent", l.acks_sent);
      res.histograms["deliver_ns"].merge(l.deliver_ns);
      if (l.last_recv_ns > 0) res.set_max("last_recv_ns", static_cast<double>(l.last_recv_ns));
    });
  }
  sync.arrive();
  sync.wait_release(o.drain_s + 60);
  res.add("connections_lost", lost.load());
  if (lost.load() > 0) res.errors.push_back(std::to_string(lost.load()) + " connections lost");
  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&] { clients_ptr = nullptr; });
  }
  close_fleet(pool, fleet.out.clients);
  return res;
}

/// The operator: publishes the command(s) and, with --ack, collects the acks.
struct Operator {
  std::unique_ptr<IoPool> pool;
  std::shared_ptr<Feed> feed;
  std::shared_ptr<Client> client;
  std::vector<char> acked;  // per meter, on the client's context
  std::uint64_t acks = 0;
  std::uint64_t ack_duplicates = 0;
  std::uint64_t last_ack_ns = 0;
  Histogram ack_ns;
  std::atomic<std::uint64_t> acks_total{0};
  std::atomic<bool> subscribed{false};
};

}  // namespace

Result run_broadcast(const Options& o) {
  Operator op;
  std::uint64_t t0 = 0;
  auto coordinate = [&](int round, bool all, Result& r) {
    if (!all) r.errors.push_back("not every worker reached round " + std::to_string(round));
    if (round == 0) {
      op.pool = std::make_unique<IoPool>(1);
      op.pool->start();
      op.acked.assign(o.clients, 0);
      const std::size_t total = o.group_target ? 1 : o.clients;
      op.feed = std::make_shared<Feed>(total, [&o](std::size_t k, std::string& t, std::string& p) {
        if (o.group_target) {
          t = group_topic(o.tenant, o.group);
          p = command_payload("grp:" + o.group, 1, now_ns());
        } else {
          const std::string id = meter_id(k);
          t = cmd_topic(o.tenant, id);
          p = command_payload(id, 1, now_ns());
        }
      });
      auto on_ack = [&op, &o](const pr::Publish& p) {
        const std::uint64_t now = now_ns();
        const auto a = parse_reading(p.payload);
        if (!a || a->meter_index >= o.clients) return;
        char& seen = op.acked[a->meter_index];
        if (seen) {
          ++op.ack_duplicates;
          return;
        }
        seen = 1;
        ++op.acks;
        op.last_ack_ns = std::max(op.last_ack_ns, now);
        if (now >= a->sent_ns) op.ack_ns.record(now - a->sent_ns);
        op.acks_total.fetch_add(1);
      };
      auto on_suback = [&op](const pr::Suback&) { op.subscribed.store(true); };
      ClientConfig cfg = client_config(o, "operator", 0);
      cfg.max_inflight = 1000;
      std::string err;
      op.client = connect_one(*op.pool, cfg, op.feed->handlers(on_ack, on_suback),
                              o.connect_timeout_s, &err);
      if (!op.client) {
        r.errors.push_back("operator: " + err);
        return;
      }
      op.feed->attach(op.client);
      if (o.ack) {
        run_on(op.client->io(),
               [&] { op.client->subscribe("mtr/v1/" + o.tenant + "/+/cmd/ack", 1); });
        if (!wait_until(o.connect_timeout_s, [&] { return op.subscribed.load(); })) {
          r.errors.push_back("operator: no SUBACK for the ack subscription");
        }
      }
      const auto w0 = std::chrono::steady_clock::now();
      run_on(op.client->io(), [&] { op.feed->start(); });
      wait_until(o.connect_timeout_s + o.drain_s,
                 [&] { return op.feed->acked() >= total || op.feed->lost(); });
      t0 = op.feed->first_send_ns();
      r.set_max("publish_s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
      r.add("commands_published", op.feed->published());
      r.add("commands_acked", op.feed->acked() - op.feed->rejected());
      if (op.feed->acked() < total) r.errors.push_back("operator: commands not acknowledged");
      return;
    }
    // Round 1: every meter has its command; wait for the acks.
    if (o.ack && op.client) {
      wait_until(o.drain_s, [&] { return op.acks_total.load() >= o.clients; });
      run_on(op.client->io(), [&] {
        r.add("acks_received", op.acks);
        r.add("ack_duplicates", op.ack_duplicates);
        r.histograms["ack_ns"].merge(op.ack_ns);
        if (op.last_ack_ns > t0 && t0 > 0) {
          r.set_max("all_acks_s", static_cast<double>(op.last_ack_ns - t0) / 1e9);
        }
      });
    }
    if (o.broker_pid > 0 && !process_alive(o.broker_pid)) {
      r.errors.push_back("broker process is gone");
    }
  };
  const double setup = o.connect_timeout_s * 2 + 60;
  Result m = run_phased_workers(
      o, "broadcast", 2, {setup, 2 * o.connect_timeout_s + 2 * o.drain_s + 30},
      setup + 2 * o.connect_timeout_s + 3 * o.drain_s + 180, broadcast_worker, coordinate);
  if (op.pool) {
    std::vector<std::shared_ptr<Client>> cl;
    if (op.client) cl.push_back(op.client);
    close_fleet(*op.pool, cl);
    op.client.reset();
    if (op.feed) op.feed->attach(nullptr);
  }
  const double last = m.maximum("last_recv_ns");
  if (t0 > 0 && last > static_cast<double>(t0)) {
    m.set_max("all_received_s", (last - static_cast<double>(t0)) / 1e9);
  }
  m.maxima.erase("last_recv_ns");
  return m;
}

}  // namespace gridmq::bench
