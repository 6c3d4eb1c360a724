// fanin: N publishers -> M subscribers, every publisher on its own meter topic, every subscriber
// on mtr/v1/<tenant>/+/up/reading.
//
// Flow control. At --rate 0 each publisher keeps at most W messages outstanding, W = --inflight:
// for QoS 1 the PUBACK window, and for both QoS an end-to-end window (sent minus the lowest
// sequence number every subscriber has received), so the measured latency is that of a saturated
// broker rather than of an ever-growing queue. At --rate R each publisher is paced at R/N msg/s by
// a 1 ms tick per io thread, with the same windows as a memory bound (default W = 1000).
//
// Phases: connect, subscribe, warm-up (--warmup), measured window (--duration), drain (wait up to
// --drain for outstanding messages), disconnect. Latency counts messages sent inside the window;
// receive rate counts messages received inside it; losses are counted over the whole run.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common.hpp"
#include "connector.hpp"
#include "io_pool.hpp"
#include "payload.hpp"
#include "scenarios.hpp"
#include "system.hpp"

namespace gridmq::bench {

namespace {

namespace pr = gridmq::protocol;

constexpr std::uint64_t kBurst = 256;                 // messages per publisher per pump
constexpr std::uint64_t kWindowResetNs = 1000000000;  // forgive a stuck QoS 0 window after 1 s
constexpr auto kTick = std::chrono::milliseconds(1);

/// Per-thread counters; only the owning io thread writes them.
struct LaneStats {
  std::uint64_t published_total = 0;
  std::uint64_t published_in_window = 0;
  std::uint64_t acked_total = 0;
  std::uint64_t acked_in_window = 0;
  std::uint64_t puback_errors = 0;
  std::uint64_t received_unique = 0;
  std::uint64_t received_in_window = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t seq_gaps = 0;
  std::uint64_t foreign = 0;
  std::uint64_t window_resets = 0;
  Histogram e2e_ns;
  Histogram puback_ns;
};

struct Publisher {
  std::size_t index = 0;
  std::size_t ctx = 0;
  std::shared_ptr<Client> client;
  std::unique_ptr<ReadingPayload> payload;
  std::string topic;
  // Owned by the publisher's thread.
  std::uint64_t seq = 0;    // last sequence number sent (first is 1)
  std::uint64_t floor = 0;  // sequence numbers <= floor no longer count as outstanding
  std::uint64_t blocked_since = 0;
  double phase = 0;  // in [0, 1): offset of this publisher's sends within one period
  // Read by other threads.
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> acked{0};
  std::unique_ptr<std::atomic<std::uint64_t>[]> delivered;  // per subscriber: highest seq seen
  std::atomic<bool> waiting{false};
};

struct Subscriber {
  std::size_t index = 0;
  std::size_t ctx = 0;
  std::shared_ptr<Client> client;
  std::vector<std::uint64_t> last_seq;  // per publisher
  std::atomic<bool> subscribed{false};
  std::atomic<bool> refused{false};
};

struct Lane {
  std::vector<Publisher*> pubs;
  LaneStats stats;
  std::unique_ptr<boost::asio::steady_timer> tick;
};

class Fanin {
 public:
  explicit Fanin(const Options& o)
      : pool_(static_cast<std::size_t>(std::max(1, o.threads))),
        o_(o),
        window_(o.effective_inflight()),
        lanes_(pool_.size()) {}

  Result run();

 private:
  bool in_window(std::uint64_t t) const {
    return t >= window_start_.load(std::memory_order_relaxed) &&
           t < window_end_.load(std::memory_order_relaxed);
  }
  std::uint64_t min_delivered(const Publisher& p) const {
    std::uint64_t m = UINT64_MAX;
    for (std::size_t s = 0; s < subs_.size(); ++s) m = std::min(m, p.delivered[s].load());
    return subs_.empty() ? p.seq : m;
  }
  void pump(Publisher& p, LaneStats& st);
  void on_message(Subscriber& s, const pr::Publish& msg);
  void on_puback(Publisher& p, std::uint64_t stamp, pr::ReasonCode reason);
  void arm_tick(std::size_t ctx);
  bool drained() const;

  IoPool pool_;  // first member: destroyed last, after every client
  Options o_;
  std::uint64_t window_;
  std::vector<Lane> lanes_;
  std::vector<std::unique_ptr<Publisher>> pubs_;
  std::vector<std::unique_ptr<Subscriber>> subs_;
  std::atomic<std::uint64_t> window_start_{UINT64_MAX};
  std::atomic<std::uint64_t> window_end_{UINT64_MAX};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> lost_{0};
  std::uint64_t start_ns_ = 0;
  double per_pub_rate_ = 0;
};

void Fanin::pump(Publisher& p, LaneStats& st) {
  if (stop_.load(std::memory_order_relaxed) || !p.client || !p.client->connected()) return;
  const std::uint64_t now = now_ns();
  std::uint64_t budget = kBurst;
  if (per_pub_rate_ > 0) {
    const double elapsed = static_cast<double>(now - start_ns_) / 1e9;
    // Publisher phases are staggered over one period so the total rate is smooth, not N-message
    // bursts every 1/r seconds.
    const auto due = static_cast<std::uint64_t>(elapsed * per_pub_rate_ + p.phase);
    if (due <= p.seq) return;
    budget = std::min(budget, due - p.seq);
  }
  for (; budget > 0; --budget) {
    if (!subs_.empty()) {
      if (p.seq - std::max(min_delivered(p), p.floor) >= window_) {
        p.waiting.store(true);
        // Re-check after announcing: a subscriber may have advanced in between.
        if (p.seq - std::max(min_delivered(p), p.floor) >= window_) {
          if (p.blocked_since == 0) p.blocked_since = now;
          if (now - p.blocked_since > kWindowResetNs) {  // a lost QoS 0 message: forgive
            p.floor = p.seq;
            p.blocked_since = 0;
            ++st.window_resets;
            continue;
          }
          return;
        }
        p.waiting.store(false);
      }
    }
    p.blocked_since = 0;
    const std::uint64_t t = now_ns();
    const auto body = p.payload->stamp(p.seq + 1, t);
    if (!p.client->publish(p.topic, body, static_cast<std::uint8_t>(o_.qos), t)) return;
    ++p.seq;
    p.sent.store(p.seq, std::memory_order_relaxed);
    ++st.published_total;
    if (in_window(t)) ++st.published_in_window;
  }
}

void Fanin::on_message(Subscriber& s, const pr::Publish& msg) {
  const std::uint64_t now = now_ns();
  LaneStats& st = lanes_[s.ctx].stats;
  const auto r = parse_reading(msg.payload);
  if (!r || r->meter_index < o_.first_index || r->meter_index - o_.first_index >= pubs_.size()) {
    ++st.foreign;
    return;
  }
  const std::size_t idx = r->meter_index - o_.first_index;
  std::uint64_t& last = s.last_seq[idx];
  if (r->seq <= last) {
    ++st.duplicates;
    return;
  }
  if (r->seq != last + 1) ++st.seq_gaps;
  last = r->seq;
  ++st.received_unique;
  if (in_window(r->sent_ns) && now >= r->sent_ns) st.e2e_ns.record(now - r->sent_ns);
  if (in_window(now)) ++st.received_in_window;

  Publisher& p = *pubs_[idx];
  p.delivered[s.index].store(r->seq);
  if (p.waiting.load()) {
    const std::uint64_t sent = p.sent.load(std::memory_order_relaxed);
    const std::uint64_t d = min_delivered(p);
    if ((sent > d ? sent - d : 0) <= window_ / 2 && p.waiting.exchange(false)) {
      boost::asio::post(pool_.context(p.ctx), [this, &p] { pump(p, lanes_[p.ctx].stats); });
    }
  }
}

void Fanin::on_puback(Publisher& p, std::uint64_t stamp, pr::ReasonCode reason) {
  const std::uint64_t now = now_ns();
  LaneStats& st = lanes_[p.ctx].stats;
  if (static_cast<int>(reason) >= 0x80) ++st.puback_errors;
  ++st.acked_total;
  p.acked.fetch_add(1, std::memory_order_relaxed);
  if (in_window(stamp)) st.puback_ns.record(now - stamp);
  if (in_window(now)) ++st.acked_in_window;
  pump(p, st);
}

void Fanin::arm_tick(std::size_t ctx) {
  Lane& lane = lanes_[ctx];
  lane.tick->expires_after(kTick);
  lane.tick->async_wait([this, ctx](const boost::system::error_code& ec) {
    if (ec || stop_.load()) return;
    for (Publisher* p : lanes_[ctx].pubs) pump(*p, lanes_[ctx].stats);
    arm_tick(ctx);
  });
}

bool Fanin::drained() const {
  for (const auto& p : pubs_) {
    const std::uint64_t sent = p->sent.load();
    if (o_.qos > 0 && p->acked.load() < sent) return false;
    for (std::size_t s = 0; s < subs_.size(); ++s) {
      if (p->delivered[s].load() < sent) return false;
    }
  }
  return true;
}

Result Fanin::run() {
  Result res;
  res.scenario = "fanin";
  res.params = o_.to_json();
  if (o_.rate > 0 && o_.clients > 0) per_pub_rate_ = o_.rate / static_cast<double>(o_.clients);
  const std::size_t T = pool_.size();

  for (std::size_t i = 0; i < o_.subscribers; ++i) {
    auto s = std::make_unique<Subscriber>();
    s->index = i;
    s->ctx = i % T;
    s->last_seq.assign(o_.clients, 0);
    subs_.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < o_.clients; ++i) {
    auto p = std::make_unique<Publisher>();
    p->index = i;
    p->ctx = (i + o_.subscribers) % T;
    p->phase = static_cast<double>(i) / static_cast<double>(o_.clients);
    const std::string meter = meter_id(o_.first_index + i);
    p->topic = reading_topic(o_.tenant, meter);
    p->payload = std::make_unique<ReadingPayload>(meter, o_.payload_size);
    p->delivered = std::make_unique<std::atomic<std::uint64_t>[]>(o_.subscribers);
    for (std::size_t s = 0; s < o_.subscribers; ++s) p->delivered[s].store(0);
    lanes_[p->ctx].pubs.push_back(p.get());
    pubs_.push_back(std::move(p));
  }
  pool_.start();
  auto finish = [&] {
    stop_.store(true);
    for (std::size_t c = 0; c < T; ++c) {
      run_on(pool_.context(c), [this, c] {
        if (lanes_[c].tick) lanes_[c].tick->cancel();
        for (auto& p : pubs_)
          if (p->ctx == c && p->client) p->client->disconnect();
        for (auto& s : subs_)
          if (s->ctx == c && s->client) s->client->disconnect();
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let DISCONNECTs go out
    pool_.stop();
    pool_.join();
    for (auto& p : pubs_) p->client.reset();
    for (auto& s : subs_) s->client.reset();
  };

  // 1. Subscribers.
  ConnectPlan sp;
  sp.count = subs_.size();
  sp.concurrency = 64;
  sp.timeout_s = o_.connect_timeout_s;
  sp.config = [&](std::size_t i) {
    auto c = client_config(o_, "sub", i);
    if (o_.persistent_subscribers) {
      c.clean_start = false;
      c.session_expiry_s = o_.session_expiry_s;
    }
    return c;
  };
  sp.context_of = [&](std::size_t i) { return subs_[i]->ctx; };
  sp.handlers = [&](std::size_t i) {
    Subscriber* s = subs_[i].get();
    ClientHandlers h;
    h.on_message = [this, s](const pr::Publish& m) { on_message(*s, m); };
    h.on_suback = [s](const pr::Suback& a) {
      const bool ok = !a.reasons.empty() && static_cast<int>(a.reasons[0]) < 0x80;
      (ok ? s->subscribed : s->refused).store(true);
    };
    h.on_lost = [this](const boost::system::error_code&) { lost_.fetch_add(1); };
    return h;
  };
  auto so = connect_all(pool_, sp);
  for (std::size_t i = 0; i < subs_.size(); ++i) subs_[i]->client = so.clients[i];
  res.add("subscribers_connected", so.connected);
  res.errors.insert(res.errors.end(), so.errors.begin(), so.errors.end());
  const std::string filter = "mtr/v1/" + o_.tenant + "/+/up/reading";
  for (auto& s : subs_) {
    if (!s->client) continue;
    run_on(pool_.context(s->ctx), [&s, &filter, this] {
      if (s->client->connected()) s->client->subscribe(filter, static_cast<std::uint8_t>(o_.qos));
    });
  }
  const bool subscribed = wait_until(o_.connect_timeout_s, [&] {
    return std::all_of(subs_.begin(), subs_.end(),
                       [](const auto& s) { return s->subscribed.load() || s->refused.load(); });
  });
  const bool subs_ok =
      so.failed == 0 && subscribed &&
      std::none_of(subs_.begin(), subs_.end(), [](const auto& s) { return s->refused.load(); });
  if (!subs_ok) {
    res.errors.push_back("subscribers failed to connect or subscribe");
    finish();
    return res;
  }

  // 2. Publishers.
  ConnectPlan pp;
  pp.count = pubs_.size();
  pp.concurrency = o_.connect_concurrency;
  pp.timeout_s = o_.connect_timeout_s;
  pp.config = [&](std::size_t i) { return client_config(o_, "pub", i); };
  pp.context_of = [&](std::size_t i) { return pubs_[i]->ctx; };
  pp.handlers = [&](std::size_t i) {
    Publisher* p = pubs_[i].get();
    ClientHandlers h;
    h.on_puback = [this, p](std::uint64_t stamp, pr::ReasonCode r) { on_puback(*p, stamp, r); };
    h.on_lost = [this](const boost::system::error_code&) { lost_.fetch_add(1); };
    return h;
  };
  auto po = connect_all(pool_, pp);
  for (std::size_t i = 0; i < pubs_.size(); ++i) pubs_[i]->client = po.clients[i];
  res.add("publishers_connected", po.connected);
  res.histograms["connect_ns"].merge(po.latency_ns);
  res.errors.insert(res.errors.end(), po.errors.begin(), po.errors.end());
  if (po.failed > 0) {
    res.errors.push_back(std::to_string(po.failed) + " publishers failed to connect");
    finish();
    return res;
  }

  // 3. Load: warm-up, then the measured window.
  start_ns_ = now_ns();
  for (std::size_t c = 0; c < T; ++c) {
    run_on(pool_.context(c), [this, c] {
      lanes_[c].tick = std::make_unique<boost::asio::steady_timer>(pool_.context(c));
      for (Publisher* p : lanes_[c].pubs) pump(*p, lanes_[c].stats);
      arm_tick(c);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o_.warmup_s));
  std::optional<double> cpu0;
  if (o_.broker_pid > 0) cpu0 = read_cpu_s(o_.broker_pid);
  const std::uint64_t w0 = now_ns();
  window_start_.store(w0);
  std::this_thread::sleep_for(std::chrono::duration<double>(o_.duration_s));
  const std::uint64_t w1 = now_ns();
  window_end_.store(w1);
  if (o_.broker_pid > 0) {
    // Broker CPU over the measured window, for CPU per message (capacity).
    const auto cpu1 = read_cpu_s(o_.broker_pid);
    res.broker["pid"] = o_.broker_pid;
    if (cpu0 && cpu1) res.broker["cpu_s"] = *cpu1 - *cpu0;
    if (const auto rss = read_rss_kib(o_.broker_pid)) res.broker["rss_end_kib"] = *rss;
  }
  stop_.store(true);
  res.set_max("window_s", static_cast<double>(w1 - w0) / 1e9);

  // 4. Drain.
  const auto d0 = std::chrono::steady_clock::now();
  const bool drained_ok = wait_until(o_.drain_s, [&] { return drained(); });
  res.set_max("drain_s",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - d0).count());
  if (!drained_ok) res.add("drain_timed_out", 1);

  // 5. Collect (each lane on its own thread), then tear down.
  for (std::size_t c = 0; c < T; ++c) {
    run_on(pool_.context(c), [this, c, &res] {
      if (lanes_[c].tick) lanes_[c].tick->cancel();
      const LaneStats& st = lanes_[c].stats;
      res.add("published_total", st.published_total);
      res.add("published_in_window", st.published_in_window);
      res.add("acked_total", st.acked_total);
      res.add("acked_in_window", st.acked_in_window);
      res.add("puback_errors", st.puback_errors);
      res.add("received_unique", st.received_unique);
      res.add("received_in_window", st.received_in_window);
      res.add("duplicates", st.duplicates);
      res.add("seq_gaps", st.seq_gaps);
      res.add("foreign", st.foreign);
      res.add("window_resets", st.window_resets);
      res.histograms["e2e_ns"].merge(st.e2e_ns);
      res.histograms["puback_ns"].merge(st.puback_ns);
    });
  }
  std::uint64_t expected_per_sub = 0;
  std::uint64_t unacked = 0;
  for (const auto& p : pubs_) {
    const std::uint64_t sent = p->sent.load();
    const std::uint64_t acked = p->acked.load();
    expected_per_sub += o_.qos > 0 ? acked : sent;
    unacked += sent > acked && o_.qos > 0 ? sent - acked : 0;
  }
  res.add("expected", expected_per_sub * subs_.size());
  res.add("unacked_at_end", unacked);
  res.add("connections_lost", lost_.load());
  if (lost_.load() > 0) {
    res.errors.push_back(std::to_string(lost_.load()) + " connections lost during the run");
  }
  finish();
  return res;
}

}  // namespace

Result run_fanin(const Options& o) {
  Fanin f(o);
  return f.run();
}

Result run_fanout(const Options& o) {
  Options f = o;
  f.subscribers = o.clients;
  f.clients = 1;
  Result r = run_fanin(f);
  r.scenario = "fanout";
  return r;
}

}  // namespace gridmq::bench
