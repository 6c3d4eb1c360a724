#include "fleet.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>

#include "common.hpp"
#include "connections.hpp"

namespace gridmq::bench {

ClientConfig meter_config(const Options& o, std::size_t i) {
  ClientConfig c = client_config(o, "mtr", i);
  c.clean_start = false;
  c.session_expiry_s = o.session_expiry_s;
  return c;
}

Fleet open_fleet(IoPool& pool, const Options& o,
                 const std::function<ClientHandlers(std::size_t)>& h,
                 const std::function<std::string(std::size_t)>& topic_of, Result& res) {
  Fleet f;
  auto subacks = std::make_shared<std::atomic<std::size_t>>(0);
  auto refused = std::make_shared<std::atomic<std::size_t>>(0);
  ConnectPlan plan;
  plan.count = o.clients;
  plan.concurrency = o.connect_concurrency;
  plan.timeout_s = o.connect_timeout_s;
  plan.config = [&](std::size_t i) { return meter_config(o, i); };
  plan.handlers = [&](std::size_t i) {
    ClientHandlers ch = h ? h(i) : ClientHandlers{};
    auto user = std::move(ch.on_suback);
    ch.on_suback = [subacks, refused, user](const protocol::Suback& s) {
      const bool ok = !s.reasons.empty() && static_cast<int>(s.reasons[0]) < 0x80;
      (ok ? *subacks : *refused).fetch_add(1);
      if (user) user(s);
    };
    return ch;
  };
  f.out = connect_all(pool, plan);
  res.add("connected", f.out.connected);
  res.add("connect_failures", f.out.failed);
  res.set_max("connect_s", f.out.seconds);
  res.histograms["connect_ns"].merge(f.out.latency_ns);
  for (const auto& e : f.out.errors) res.errors.push_back("connect: " + e);

  if (topic_of) {
    std::vector<std::shared_ptr<Client>> ok;
    std::vector<std::string> topics;
    for (std::size_t i = 0; i < f.out.clients.size(); ++i) {
      if (f.out.ok[i] && f.out.clients[i]) ok.push_back(f.out.clients[i]);
    }
    for (std::size_t c = 0; c < pool.size(); ++c) {
      run_on(pool.context(c), [&, c] {
        for (std::size_t i = 0; i < f.out.clients.size(); ++i) {
          auto& cl = f.out.clients[i];
          if (cl && f.out.ok[i] && &cl->io() == &pool.context(c) && cl->connected()) {
            cl->subscribe(topic_of(i), 1);
          }
        }
      });
    }
    wait_until(o.connect_timeout_s, [&] { return subacks->load() + refused->load() >= ok.size(); });
    f.subscribed = subacks->load();
    res.add("subscribed", f.subscribed);
    if (f.subscribed < ok.size()) {
      res.errors.push_back(std::to_string(ok.size() - f.subscribed) +
                           " meters did not get a successful SUBACK");
    }
  }
  return f;
}

void for_each_client(IoPool& pool, const std::vector<std::shared_ptr<Client>>& clients,
                     const std::function<void(Client&)>& fn) {
  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&, c] {
      for (const auto& cl : clients) {
        if (cl && &cl->io() == &pool.context(c)) fn(*cl);
      }
    });
  }
}

void close_fleet(IoPool& pool, std::vector<std::shared_ptr<Client>>& clients) {
  for_each_client(pool, clients, [](Client& c) { c.disconnect(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // DISCONNECTs go out
  pool.stop();
  pool.join();
  clients.clear();
}

Result run_phased_workers(const Options& o, const std::string& scenario, int rounds,
                          const std::vector<double>& arrive_timeout_s, double release_timeout_s,
                          const std::function<Result(const Options&, WorkerSync&)>& work,
                          const std::function<void(int, bool, Result&)>& coordinate) {
  Result coord;
  coord.parts = 0;
  const int count = std::max(1, o.processes);
  auto job = [&](int k, WorkerSync& sync) {
    Options w = count > 1 ? worker_share(o, k, count) : o;
    Result r = work(w, sync);
    r.scenario = scenario;
    return r.to_json().dump();
  };
  const auto outs = run_workers_rounds(count, rounds, arrive_timeout_s, release_timeout_s, job,
                                       [&](int round, bool all) { coordinate(round, all, coord); });
  Result merged;
  merged.parts = 0;
  for (std::size_t k = 0; k < outs.size(); ++k) {
    if (outs[k].empty()) {
      merged.errors.push_back("worker " + std::to_string(k) + " produced no result");
      continue;
    }
    merged.merge(Result::from_json(nlohmann::json::parse(outs[k])));
  }
  merged.merge(coord);
  merged.scenario = scenario;
  merged.params = o.to_json();
  merged.broker = coord.broker;
  if (merged.parts == 0) merged.parts = 1;
  return merged;
}

ClientHandlers Feed::handlers(std::function<void(const protocol::Publish&)> on_message,
                              std::function<void(const protocol::Suback&)> on_suback) {
  ClientHandlers h;
  std::weak_ptr<Feed> weak = weak_from_this();
  h.on_puback = [weak](std::uint64_t, protocol::ReasonCode reason) {
    auto f = weak.lock();
    if (!f) return;
    if (static_cast<int>(reason) >= 0x80) f->rejected_.fetch_add(1);
    f->acked_.fetch_add(1);
    f->pump();
  };
  h.on_lost = [weak](const boost::system::error_code&) {
    if (auto f = weak.lock()) f->lost_.store(true);
  };
  h.on_message = std::move(on_message);
  h.on_suback = std::move(on_suback);
  return h;
}

void Feed::pump() {
  if (!client_) return;
  while (next_ < total_ && client_->connected()) {
    make_(next_, topic_, payload_);
    const std::uint64_t t = now_ns();
    if (!client_->publish(topic_, payload_, 1, t)) return;  // window full: PUBACKs resume us
    if (next_ == 0) first_send_ns_.store(t);
    ++next_;
    published_.fetch_add(1);
  }
}

std::shared_ptr<Client> connect_one(IoPool& pool, ClientConfig cfg, ClientHandlers h,
                                    double timeout_s, std::string* error) {
  ConnectPlan plan;
  plan.count = 1;
  plan.concurrency = 1;
  plan.timeout_s = timeout_s;
  plan.config = [&](std::size_t) { return cfg; };
  plan.handlers = [&](std::size_t) { return h; };
  auto out = connect_all(pool, plan);
  if (out.connected == 1) return out.clients[0];
  if (error) *error = out.errors.empty() ? "timed out" : out.errors[0];
  return nullptr;
}

bool wait_for_port(const std::string& host, std::uint16_t port, double timeout_s) {
  return wait_until(timeout_s, [&] {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address(host), port}, ec);
    if (!ec) {
      s.close(ec);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return false;
  });
}

}  // namespace gridmq::bench
