#include "connector.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include <boost/asio/post.hpp>

namespace gridmq::bench {

namespace {

/// Per-context launcher state; touched only on its context's thread until the end.
struct Lane {
  std::vector<std::size_t> todo;  // client indexes, launched from the back
  std::size_t in_flight = 0;
  std::size_t limit = 1;
  Histogram latency_ns;
};

struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t done = 0;
  std::uint64_t last_done_ns = 0;
  std::vector<std::string> errors;
};

}  // namespace

bool run_on(boost::asio::io_context& ctx, const std::function<void()>& fn, double timeout_s) {
  auto p = std::make_shared<std::promise<void>>();
  auto f = p->get_future();
  boost::asio::post(ctx, [p, fn] {
    fn();
    p->set_value();
  });
  return f.wait_for(std::chrono::duration<double>(timeout_s)) == std::future_status::ready;
}

ConnectOutcome connect_all(IoPool& pool, const ConnectPlan& plan) {
  ConnectOutcome out;
  out.clients.resize(plan.count);
  out.ok.assign(plan.count, false);
  auto shared = std::make_shared<Shared>();
  auto oks = std::make_shared<std::vector<char>>(plan.count, 0);
  auto lanes = std::make_shared<std::vector<Lane>>(pool.size());
  for (std::size_t i = plan.count; i-- > 0;) {
    const std::size_t ctx = plan.context_of ? plan.context_of(i) % pool.size() : i % pool.size();
    (*lanes)[ctx].todo.push_back(i);
  }
  for (auto& l : *lanes) l.limit = std::max<std::size_t>(1, plan.concurrency / pool.size());

  auto clients = std::make_shared<std::vector<std::shared_ptr<Client>>>(plan.count);
  const std::uint64_t start_ns = now_ns();

  // launch(ctx): start clients on that lane until its concurrency limit is reached.
  auto launch = std::make_shared<std::function<void(std::size_t)>>();
  *launch = [&pool, &plan, lanes, shared, clients, oks,
             weak = std::weak_ptr<std::function<void(std::size_t)>>(launch)](std::size_t ctx) {
    Lane& lane = (*lanes)[ctx];
    while (lane.in_flight < lane.limit && !lane.todo.empty()) {
      const std::size_t i = lane.todo.back();
      lane.todo.pop_back();
      ++lane.in_flight;
      ClientHandlers h = plan.handlers ? plan.handlers(i) : ClientHandlers{};
      auto user = std::move(h.on_connect);
      const std::uint64_t t0 = now_ns();
      h.on_connect = [lanes, shared, oks, weak, ctx, i, t0, user](
                         const boost::system::error_code& ec, protocol::ReasonCode reason) {
        Lane& l = (*lanes)[ctx];
        --l.in_flight;
        const std::uint64_t t1 = now_ns();
        const bool ok = !ec && reason == protocol::ReasonCode::kSuccess;
        if (ok) {
          l.latency_ns.record(t1 - t0);
          (*oks)[i] = 1;
        }
        {
          std::lock_guard lock(shared->mu);
          ++shared->done;
          shared->last_done_ns = std::max(shared->last_done_ns, t1);
          if (!ok && shared->errors.size() < 5) {
            shared->errors.push_back(ec ? ec.message()
                                        : "CONNACK refused, reason " +
                                              std::to_string(static_cast<int>(reason)));
          }
          shared->cv.notify_all();
        }
        if (user) user(ec, reason);
        if (auto f = weak.lock()) (*f)(ctx);
      };
      auto c = std::make_shared<Client>(pool.context(ctx), plan.config(i), std::move(h));
      (*clients)[i] = c;
      c->start();
    }
  };
  for (std::size_t ctx = 0; ctx < pool.size(); ++ctx) {
    boost::asio::post(pool.context(ctx), [launch, ctx] { (*launch)(ctx); });
  }

  {
    std::unique_lock lock(shared->mu);
    shared->cv.wait_for(lock, std::chrono::duration<double>(plan.timeout_s),
                        [&] { return shared->done >= plan.count; });
  }
  // Stop launching, then collect per-lane results on their own threads.
  for (std::size_t ctx = 0; ctx < pool.size(); ++ctx) {
    run_on(pool.context(ctx), [lanes, ctx, &out, clients, oks] {
      (*lanes)[ctx].todo.clear();
      out.latency_ns.merge((*lanes)[ctx].latency_ns);
    });
  }
  // Clients belong to their context; copying the shared_ptrs is safe once the lanes are idle.
  for (std::size_t ctx = 0; ctx < pool.size(); ++ctx) {
    run_on(pool.context(ctx), [&out, clients, oks, &pool, ctx] {
      for (std::size_t i = 0; i < clients->size(); ++i) {
        if ((*clients)[i] && &(*clients)[i]->io() == &pool.context(ctx)) {
          out.clients[i] = (*clients)[i];
          out.ok[i] = (*oks)[i] != 0;
        }
      }
    });
  }
  for (bool b : out.ok) out.connected += b ? 1 : 0;
  out.failed = plan.count - out.connected;
  std::lock_guard lock(shared->mu);
  const std::uint64_t end_ns = shared->done >= plan.count ? shared->last_done_ns : now_ns();
  out.seconds = static_cast<double>(end_ns - start_ns) / 1e9;
  out.errors = shared->errors;
  return out;
}

}  // namespace gridmq::bench
