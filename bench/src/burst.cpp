// burst: the 15-minute boundary. N meters with persistent sessions are connected; on the signal
// each publishes one reading (QoS from --qos) at its offset within --window (evenly spread, or
// all at once with --spread none). A head-end subscriber in the coordinator receives them on
// mtr/v1/<tenant>/+/up/reading. Reports the time until every reading is acknowledged and received,
// PUBACK and end-to-end latency, and losses.
//
// Rounds: (0) workers connected -> coordinator subscribes the head-end, releases = burst start;
// (1) workers saw every PUBACK (or gave up) -> coordinator waits for the deliveries; then workers
// disconnect.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
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
constexpr auto kTick = std::chrono::milliseconds(1);

struct Meter {
  std::size_t index = 0;  // local
  std::uint64_t due_ns = 0;
  std::string topic;
  std::unique_ptr<ReadingPayload> payload;
};

struct Lane {
  std::vector<Meter*> meters;  // by due time
  std::size_t next = 0;
  std::unique_ptr<boost::asio::steady_timer> tick;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t puback_errors = 0;
  std::uint64_t last_ack_ns = 0;
  std::uint64_t last_send_ns = 0;
  Histogram puback_ns;
};

Result burst_worker(const Options& o, WorkerSync& sync) {
  Result res;
  res.params = o.to_json();
  IoPool pool(static_cast<std::size_t>(std::max(1, o.threads)));
  pool.start();
  std::vector<Lane> lanes(pool.size());
  std::vector<Meter> meters(o.clients);
  std::atomic<std::uint64_t> lost{0};
  std::atomic<std::uint64_t> done{0};  // acked (QoS 1) or sent (QoS 0)

  auto handlers = [&](std::size_t i) {
    ClientHandlers h;
    const std::size_t ctx = i % pool.size();
    h.on_puback = [&lanes, &done, ctx](std::uint64_t stamp, pr::ReasonCode reason) {
      Lane& l = lanes[ctx];
      const std::uint64_t now = now_ns();
      ++l.acked;
      if (static_cast<int>(reason) >= 0x80) ++l.puback_errors;
      l.puback_ns.record(now - stamp);
      l.last_ack_ns = std::max(l.last_ack_ns, now);
      done.fetch_add(1);
    };
    h.on_lost = [&lost](const boost::system::error_code&) { lost.fetch_add(1); };
    return h;
  };
  Fleet fleet = open_fleet(pool, o, handlers, {}, res);
  auto& clients = fleet.out.clients;

  sync.arrive();
  sync.wait_release(o.connect_timeout_s * 2 + 60);

  // The burst: every lane publishes its meters when they are due, from a 1 ms tick.
  const std::uint64_t go = now_ns();
  const std::size_t total = o.all_clients();
  for (std::size_t i = 0; i < meters.size(); ++i) {
    Meter& m = meters[i];
    m.index = i;
    const double off = burst_offset_s(global_index(o, i), total, o.window_s, o.spread);
    m.due_ns = go + static_cast<std::uint64_t>(off * 1e9);
    const std::string id = meter_id(global_index(o, i));
    m.topic = reading_topic(o.tenant, id);
    m.payload = std::make_unique<ReadingPayload>(id, o.payload_size);
    if (fleet.out.ok[i]) lanes[i % pool.size()].meters.push_back(&m);
  }
  std::size_t to_send = 0;
  for (auto& l : lanes) {
    std::sort(l.meters.begin(), l.meters.end(),
              [](const Meter* a, const Meter* b) { return a->due_ns < b->due_ns; });
    to_send += l.meters.size();
  }
  std::function<void(std::size_t)> tick = [&](std::size_t c) {
    Lane& l = lanes[c];
    const std::uint64_t now = now_ns();
    while (l.next < l.meters.size() && l.meters[l.next]->due_ns <= now) {
      Meter& m = *l.meters[l.next++];
      auto& cl = clients[m.index];
      const std::uint64_t t = now_ns();
      if (cl && cl->publish(m.topic, m.payload->stamp(1, t), static_cast<std::uint8_t>(o.qos), t)) {
        ++l.sent;
        l.last_send_ns = t;
        if (o.qos == 0) done.fetch_add(1);
      }
    }
    if (l.next < l.meters.size()) {
      l.tick->expires_after(kTick);
      l.tick->async_wait([&tick, c](const boost::system::error_code& ec) {
        if (!ec) tick(c);
      });
    }
  };
  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&, c] {
      lanes[c].tick = std::make_unique<boost::asio::steady_timer>(pool.context(c));
      tick(c);
    });
  }
  const bool all_done = wait_until(o.window_s + o.drain_s, [&] { return done.load() >= to_send; });
  if (!all_done) res.errors.push_back("not every reading was acknowledged in time");

  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&, c] {
      Lane& l = lanes[c];
      if (l.tick) l.tick->cancel();
      res.add("sent", l.sent);
      res.add("acked", l.acked);
      res.add("puback_errors", l.puback_errors);
      res.histograms["puback_ns"].merge(l.puback_ns);
      const std::uint64_t last = o.qos > 0 ? l.last_ack_ns : l.last_send_ns;
      if (last > 0) res.set_max("last_done_ns", static_cast<double>(last));
    });
  }
  sync.arrive();
  sync.wait_release(o.drain_s + 60);
  res.add("connections_lost", lost.load());
  if (lost.load() > 0) {
    res.errors.push_back(std::to_string(lost.load()) + " meter connections lost");
  }
  close_fleet(pool, clients);
  return res;
}

/// The head-end: subscribers on the reading wildcard, in the coordinator process.
class HeadEnd {
 public:
  explicit HeadEnd(const Options& o) : o_(o) {}
  ~HeadEnd() { stop(); }

  bool start(Result& r) {
    pool_ = std::make_unique<IoPool>(static_cast<std::size_t>(std::max(1, o_.threads)));
    pool_->start();
    subs_.resize(o_.subscribers);
    for (auto& s : subs_) {
      s = std::make_unique<Sub>();
      s->seen.assign(o_.clients, 0);
    }
    for (std::size_t i = 0; i < subs_.size(); ++i) {
      Sub* s = subs_[i].get();
      ClientHandlers h;
      h.on_message = [this, s](const pr::Publish& p) { on_message(*s, p); };
      h.on_suback = [this](const pr::Suback& a) {
        if (!a.reasons.empty() && static_cast<int>(a.reasons[0]) < 0x80) subacked_.fetch_add(1);
      };
      ClientConfig cfg = client_config(o_, "headend", i);
      cfg.max_inflight = 16;
      std::string err;
      s->client = connect_one(*pool_, cfg, h, o_.connect_timeout_s, &err);
      if (!s->client) {
        r.errors.push_back("head-end subscriber: " + err);
        return false;
      }
      run_on(s->client->io(), [&] {
        s->client->subscribe("mtr/v1/" + o_.tenant + "/+/up/reading",
                             static_cast<std::uint8_t>(o_.qos));
      });
    }
    if (!wait_until(o_.connect_timeout_s, [&] { return subacked_.load() >= subs_.size(); })) {
      r.errors.push_back("head-end subscribers were not subscribed");
      return false;
    }
    return true;
  }

  std::uint64_t received() const { return received_.load(); }

  void collect(Result& r, std::uint64_t t0) {
    std::uint64_t last = 0;
    for (auto& s : subs_) {
      run_on(s->client->io(), [&] {
        r.add("received_unique", s->unique);
        r.add("duplicates", s->duplicates);
        r.add("foreign", s->foreign);
        r.histograms["e2e_ns"].merge(s->e2e_ns);
        last = std::max(last, s->last_ns);
      });
    }
    if (last > t0) r.set_max("all_received_s", static_cast<double>(last - t0) / 1e9);
  }

  void stop() {
    if (!pool_) return;
    std::vector<std::shared_ptr<Client>> cl;
    for (auto& s : subs_)
      if (s->client) cl.push_back(s->client);
    close_fleet(*pool_, cl);
    for (auto& s : subs_) s->client.reset();
    pool_.reset();
  }

 private:
  struct Sub {
    std::shared_ptr<Client> client;
    std::vector<char> seen;  // per meter (global index - first)
    std::uint64_t unique = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t foreign = 0;
    std::uint64_t last_ns = 0;
    Histogram e2e_ns;
  };

  void on_message(Sub& s, const pr::Publish& p) {
    const std::uint64_t now = now_ns();
    const auto r = parse_reading(p.payload);
    if (!r || r->meter_index < o_.first_index || r->meter_index - o_.first_index >= o_.clients) {
      ++s.foreign;
      return;
    }
    char& seen = s.seen[r->meter_index - o_.first_index];
    if (seen) {
      ++s.duplicates;
      return;
    }
    seen = 1;
    ++s.unique;
    s.last_ns = now;
    if (now >= r->sent_ns) s.e2e_ns.record(now - r->sent_ns);
    received_.fetch_add(1);
  }

  Options o_;
  std::unique_ptr<IoPool> pool_;
  std::vector<std::unique_ptr<Sub>> subs_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::size_t> subacked_{0};
};

}  // namespace

Result run_burst(const Options& o) {
  HeadEnd head(o);
  std::uint64_t t0 = 0;
  bool head_ok = false;
  std::optional<double> cpu0;
  auto coordinate = [&](int round, bool all, Result& r) {
    if (!all) r.errors.push_back("not every worker reached round " + std::to_string(round));
    if (round == 0) {
      head_ok = head.start(r);
      if (o.broker_pid > 0) cpu0 = read_cpu_s(o.broker_pid);
      t0 = now_ns();
      return;
    }
    // Round 1: the meters have their PUBACKs; wait for the deliveries (bounded by --drain).
    const std::uint64_t want = o.clients * o.subscribers;
    if (head_ok) wait_until(o.drain_s, [&] { return head.received() >= want; });
    if (o.broker_pid > 0) {
      const auto cpu1 = read_cpu_s(o.broker_pid);
      if (cpu0 && cpu1) r.broker["cpu_s"] = *cpu1 - *cpu0;
      r.broker["pid"] = o.broker_pid;
      if (const auto rss = read_rss_kib(o.broker_pid)) r.broker["rss_end_kib"] = *rss;
      if (!process_alive(o.broker_pid)) r.errors.push_back("broker process is gone");
    }
    if (head_ok) head.collect(r, t0);
  };
  const double setup = o.connect_timeout_s * 2 + 60;
  Result m = run_phased_workers(o, "burst", 2, {setup, o.window_s + o.drain_s + 30},
                                setup + o.window_s + 2 * o.drain_s + 120, burst_worker, coordinate);
  head.stop();
  const double last = m.maximum("last_done_ns");
  if (last > static_cast<double>(t0) && t0 > 0) {
    m.set_max("all_acked_s", (last - static_cast<double>(t0)) / 1e9);
  }
  m.maxima.erase("last_done_ns");
  m.add("expected", (o.qos > 0 ? m.counter("acked") : m.counter("sent")) * o.subscribers);
  return m;
}

}  // namespace gridmq::bench
