// storm: N meters with persistent sessions (clean start 0), each subscribed at QoS 1 to its own
// mtr/v1/<tenant>/<meter>/cmd, are cut at once: the harness resets every socket (no DISCONNECT),
// or with --restart-cmd the broker is restarted by the user's command. While they are away an
// operator queues --backlog QoS 1 commands to every meter's cmd topic. Then all meters reconnect
// at once, each with jittered exponential back-off after a failed attempt. Reports the time until
// every meter is back (CONNACK) and until every backlog is drained, sessions found missing, losses.
//
// Rounds: (0) meters connected and subscribed; (1) meters cut -> coordinator restarts the broker
// (optional) and publishes the backlog; released = the reconnect storm starts.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include <boost/asio/steady_timer.hpp>

#include "backoff.hpp"
#include "common.hpp"
#include "fleet.hpp"
#include "payload.hpp"
#include "scenarios.hpp"

namespace gridmq::bench {

namespace {

namespace pr = gridmq::protocol;
using Timer = boost::asio::steady_timer;

struct Meter {
  std::size_t index = 0;  // local
  std::size_t ctx = 0;
  std::uint64_t global = 0;
  std::string cmd;
  ClientConfig cfg;
  std::shared_ptr<Client> client;
  std::unique_ptr<Timer> timer;
  unsigned attempt = 0;
  unsigned gen = 0;  // callbacks of older attempts are ignored
  bool active = false;
  bool back = false;
  bool drained = false;
  std::vector<char> seen;  // backlog seq 1..M
  std::size_t got = 0;
};

struct Lane {
  std::mt19937_64 rng;
  std::uint64_t attempts = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t reconnected = 0;
  std::uint64_t sessions_lost = 0;
  std::uint64_t received_unique = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t foreign = 0;
  std::uint64_t drained_meters = 0;
  std::uint64_t lost_after = 0;
  std::uint64_t last_back_ns = 0;
  std::uint64_t last_drained_ns = 0;
  Histogram back_ns;
  Histogram drained_ns;
  Histogram attempts_per_meter;
};

class StormWorker {
 public:
  explicit StormWorker(const Options& o)
      : o_(o), pool_(static_cast<std::size_t>(std::max(1, o.threads))), lanes_(pool_.size()) {
    backoff_.base_s = o.backoff_base_s;
    backoff_.max_s = o.backoff_max_s;
    backoff_.jitter = o.jitter;
    for (std::size_t c = 0; c < lanes_.size(); ++c) {
      lanes_[c].rng.seed(static_cast<std::uint64_t>(o.worker + 2) * 1000003ULL + c);
    }
  }

  Result run(WorkerSync& sync);

 private:
  void on_message(Meter& m, const pr::Publish& p);
  void schedule(Meter& m);  // next attempt after back-off
  void attempt(Meter& m);
  void mark_activity() { last_activity_ns_.store(now_ns()); }

  Options o_;
  IoPool pool_;
  std::vector<Lane> lanes_;
  std::vector<Meter> meters_;
  Backoff backoff_;
  std::uint64_t go_ns_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> back_{0};
  std::atomic<std::size_t> drained_{0};
  std::atomic<std::uint64_t> last_activity_ns_{0};
  std::atomic<std::uint64_t> lost_before_cut_{0};
};

void StormWorker::on_message(Meter& m, const pr::Publish& p) {
  Lane& l = lanes_[m.ctx];
  const auto r = parse_reading(p.payload);
  if (!r || r->meter_index != m.global || r->seq == 0 || r->seq > m.seen.size()) {
    ++l.foreign;
    return;
  }
  char& s = m.seen[r->seq - 1];
  if (s) {
    ++l.duplicates;
    return;
  }
  s = 1;
  ++l.received_unique;
  ++m.got;
  mark_activity();
  if (!m.drained && m.got == m.seen.size() && go_ns_ > 0) {
    m.drained = true;
    const std::uint64_t now = now_ns();
    ++l.drained_meters;
    l.drained_ns.record(now - go_ns_);
    l.last_drained_ns = std::max(l.last_drained_ns, now);
    drained_.fetch_add(1);
  }
}

void StormWorker::schedule(Meter& m) {
  if (stopping_.load()) return;
  Lane& l = lanes_[m.ctx];
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(l.rng);
  const double d = backoff_.delay_s(m.attempt, u);
  ++m.attempt;
  const unsigned gen = ++m.gen;
  m.timer->expires_after(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(d)));
  m.timer->async_wait([this, &m, gen](const boost::system::error_code& ec) {
    if (ec || gen != m.gen || stopping_.load()) return;
    attempt(m);
  });
}

void StormWorker::attempt(Meter& m) {
  Lane& l = lanes_[m.ctx];
  ++l.attempts;
  const unsigned gen = ++m.gen;
  if (m.client) m.client->close();
  ClientHandlers h;
  h.on_connect = [this, &m, gen](const boost::system::error_code& ec, pr::ReasonCode reason) {
    if (gen != m.gen) return;
    Lane& lane = lanes_[m.ctx];
    if (ec || reason != pr::ReasonCode::kSuccess) {
      ++lane.failed_attempts;
      schedule(m);
      return;
    }
    m.timer->cancel();
    const std::uint64_t now = now_ns();
    if (!m.back) {
      m.back = true;
      ++lane.reconnected;
      lane.back_ns.record(now - go_ns_);
      lane.last_back_ns = std::max(lane.last_back_ns, now);
      lane.attempts_per_meter.record(m.attempt);
      back_.fetch_add(1);
      mark_activity();
    }
    if (!m.client->session_present()) {
      // The broker forgot the session (a restart without durable sessions): a real meter
      // subscribes again; what was queued for it is lost.
      ++lane.sessions_lost;
      m.client->subscribe(m.cmd, 1);
    }
    if (!m.drained && m.seen.empty()) {
      m.drained = true;
      ++lane.drained_meters;
      lane.drained_ns.record(now - go_ns_);
      lane.last_drained_ns = std::max(lane.last_drained_ns, now);
      drained_.fetch_add(1);
    }
  };
  h.on_message = [this, &m](const pr::Publish& p) { on_message(m, p); };
  h.on_lost = [this, &m, gen](const boost::system::error_code&) {
    if (gen != m.gen) return;
    ++lanes_[m.ctx].lost_after;
    schedule(m);
  };
  m.client = std::make_shared<Client>(pool_.context(m.ctx), m.cfg, std::move(h));
  m.client->start();
  m.timer->expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(o_.attempt_timeout_s)));
  m.timer->async_wait([this, &m, gen](const boost::system::error_code& ec) {
    if (ec || gen != m.gen || stopping_.load() || (m.client && m.client->connected())) return;
    ++lanes_[m.ctx].failed_attempts;
    m.client->close();
    schedule(m);
  });
}

Result StormWorker::run(WorkerSync& sync) {
  Result res;
  res.params = o_.to_json();
  pool_.start();
  meters_.resize(o_.clients);
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    Meter& m = meters_[i];
    m.index = i;
    m.ctx = i % pool_.size();
    m.global = global_index(o_, i);
    m.cmd = cmd_topic(o_.tenant, meter_id(m.global));
    m.cfg = meter_config(o_, i);
    m.seen.assign(o_.backlog, 0);
    m.timer = std::make_unique<Timer>(pool_.context(m.ctx));
  }
  auto handlers = [this](std::size_t i) {
    ClientHandlers h;
    Meter* m = &meters_[i];
    h.on_message = [this, m](const pr::Publish& p) { on_message(*m, p); };
    h.on_lost = [this](const boost::system::error_code&) { lost_before_cut_.fetch_add(1); };
    return h;
  };
  Fleet fleet = open_fleet(
      pool_, o_, handlers, [this](std::size_t i) { return meters_[i].cmd; }, res);
  std::size_t active = 0;
  for (std::size_t i = 0; i < meters_.size(); ++i) {
    meters_[i].client = fleet.out.clients[i];
    meters_[i].active = fleet.out.ok[i];
    active += meters_[i].active ? 1 : 0;
  }
  fleet.out.clients.clear();
  sync.arrive();
  sync.wait_release(o_.connect_timeout_s * 2 + 60);
  const std::uint64_t lost_before_cut = lost_before_cut_.load();

  // The cut: every socket reset at once, no DISCONNECT (with --restart-cmd the coordinator
  // restarts the broker instead, and the meters see their connections die).
  if (o_.restart_cmd.empty()) {
    for (std::size_t c = 0; c < pool_.size(); ++c) {
      run_on(pool_.context(c), [this, c] {
        for (auto& m : meters_)
          if (m.ctx == c && m.client) m.client->abort();
      });
    }
  }
  sync.arrive();
  sync.wait_release(o_.settle_s + 2 * o_.connect_timeout_s + o_.drain_s + 120);

  // The storm.
  go_ns_ = now_ns();
  mark_activity();
  for (std::size_t c = 0; c < pool_.size(); ++c) {
    run_on(pool_.context(c), [this, c] {
      for (auto& m : meters_) {
        if (m.ctx != c || !m.active) continue;
        if (m.client) m.client->abort();  // after a restart the old connection may linger
        schedule(m);
      }
    });
  }
  const auto deadline = o_.connect_timeout_s + o_.drain_s;
  wait_until(deadline, [&] {
    if (back_.load() < active) return false;
    if (drained_.load() >= active) return true;
    // Everyone is back but some backlog is missing: give up after --drain s without progress.
    return static_cast<double>(now_ns() - last_activity_ns_.load()) / 1e9 > o_.drain_s;
  });
  stopping_.store(true);
  std::vector<std::shared_ptr<Client>> clients;
  for (std::size_t c = 0; c < pool_.size(); ++c) {
    run_on(pool_.context(c), [&, c] {
      for (auto& m : meters_) {
        if (m.ctx != c) continue;
        m.timer->cancel();
        if (m.client) clients.push_back(m.client);
      }
      const Lane& l = lanes_[c];
      res.add("reconnect_attempts", l.attempts);
      res.add("failed_attempts", l.failed_attempts);
      res.add("reconnected", l.reconnected);
      res.add("sessions_lost", l.sessions_lost);
      res.add("received_unique", l.received_unique);
      res.add("duplicates", l.duplicates);
      res.add("foreign", l.foreign);
      res.add("drained_meters", l.drained_meters);
      res.add("lost_after_reconnect", l.lost_after);
      res.histograms["back_ns"].merge(l.back_ns);
      res.histograms["drained_ns"].merge(l.drained_ns);
      res.histograms["attempts"].merge(l.attempts_per_meter);
      if (l.last_back_ns > go_ns_) {
        res.set_max("all_back_s", static_cast<double>(l.last_back_ns - go_ns_) / 1e9);
      }
      if (l.last_drained_ns > go_ns_) {
        res.set_max("all_drained_s", static_cast<double>(l.last_drained_ns - go_ns_) / 1e9);
      }
    });
  }
  if (back_.load() < active) {
    res.errors.push_back(std::to_string(active - back_.load()) + " meters did not come back");
  }
  res.add("connections_lost", lost_before_cut);
  if (lost_before_cut > 0) {
    res.errors.push_back(std::to_string(lost_before_cut) + " connections lost before the cut");
  }
  close_fleet(pool_, clients);
  for (auto& m : meters_) m.client.reset();
  return res;
}

}  // namespace

Result run_storm(const Options& o) {
  std::unique_ptr<IoPool> pool;
  auto coordinate = [&](int round, bool all, Result& r) {
    if (!all) r.errors.push_back("not every worker reached round " + std::to_string(round));
    if (round == 0) return;
    // Round 1: the meters are cut. Restart the broker if asked, then queue the backlog.
    if (!o.restart_cmd.empty()) {
      const auto t0 = std::chrono::steady_clock::now();
      const int rc = run_shell(o.restart_cmd);
      if (rc != 0) r.errors.push_back("--restart-cmd exited with status " + std::to_string(rc));
      if (!wait_for_port(o.host, o.port, 60)) {
        r.errors.push_back("broker not listening 60 s after --restart-cmd");
      }
      r.set_max("restart_s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(o.settle_s));
    const std::size_t total = o.clients * o.backlog;
    if (total == 0) return;
    pool = std::make_unique<IoPool>(1);
    pool->start();
    auto feed = std::make_shared<Feed>(total, [&o](std::size_t k, std::string& t, std::string& p) {
      const std::size_t idx = k % o.clients;
      const std::string id = meter_id(idx);
      t = cmd_topic(o.tenant, id);
      p = command_payload(id, k / o.clients + 1, now_ns());
    });
    ClientConfig cfg = client_config(o, "backlog", 0);
    cfg.max_inflight = 1000;
    std::string err;
    auto c = connect_one(*pool, cfg, feed->handlers(), o.connect_timeout_s, &err);
    if (!c) {
      r.errors.push_back("backlog publisher: " + err);
      return;
    }
    feed->attach(c);
    const auto t0 = std::chrono::steady_clock::now();
    run_on(c->io(), [&] { feed->start(); });
    wait_until(o.connect_timeout_s + o.drain_s,
               [&] { return feed->acked() >= total || feed->lost(); });
    r.set_max("backlog_s",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    r.add("backlog_published", feed->published());
    r.add("backlog_acked", feed->acked() - feed->rejected());
    if (feed->acked() < total) {
      r.errors.push_back("backlog: only " + std::to_string(feed->acked()) + " of " +
                         std::to_string(total) + " messages acknowledged");
    }
    if (feed->rejected() > 0) {
      r.errors.push_back("backlog: " + std::to_string(feed->rejected()) + " messages refused");
    }
    std::vector<std::shared_ptr<Client>> cl{c};
    close_fleet(*pool, cl);
    feed->attach(nullptr);
  };
  const double setup = o.connect_timeout_s * 2 + 60;
  const double storm = o.settle_s + 2 * o.connect_timeout_s + 2 * o.drain_s + 180;
  Result m = run_phased_workers(
      o, "storm", 2, {setup, 60}, setup + storm,
      [](const Options& w, WorkerSync& sync) {
        StormWorker worker(w);
        return worker.run(sync);
      },
      coordinate);
  if (o.broker_pid > 0 && o.restart_cmd.empty() && !process_alive(o.broker_pid)) {
    m.errors.push_back("broker process is gone");
  }
  return m;
}

}  // namespace gridmq::bench
