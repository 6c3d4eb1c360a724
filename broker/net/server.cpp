#include "net/server.hpp"

#include <spdlog/logger.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>

#include "config/load.hpp"
#include "net/connection.hpp"
#include "net/tls_connection.hpp"
#include "net/tls_context.hpp"

namespace gridmq::net {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
// How often the CRL files are checked for changes (modification time and size).
constexpr auto kCrlCheckInterval = std::chrono::seconds(2);
}  // namespace

Server::Server(const config::BrokerConfig& cfg, auth::Acl acl, std::shared_ptr<spdlog::logger> log,
               storage::Store* store)
    : Server(cfg, std::make_shared<auth::AccessControl>(std::move(acl)), std::move(log), store) {}

Server::Server(const config::BrokerConfig& cfg, std::shared_ptr<auth::AccessControl> access,
               std::shared_ptr<spdlog::logger> log, storage::Store* store)
    : cfg_(cfg),
      log_(std::move(log)),
      core_(std::make_unique<session::BrokerCore>(cfg, std::move(access), store)) {
  for (const auto& l : cfg.listeners) {
    const auto a = auth::parse_authentication(config::effective_listener_auth(l));
    if (!a) throw std::runtime_error("listener " + l.host + ": unknown auth '" + l.auth + "'");
    auth_.push_back(*a);
  }
  unsigned n = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, *log_));
}

Server::~Server() {
  stop();
}

void Server::set_plugins(std::unique_ptr<plugins::PluginHost> host) {
  plugins_ = std::move(host);
  core_->set_plugins(plugins_.get());
}

void Server::start() {
  for (const auto& l : cfg_.listeners) {
    // Certificates, keys and CRLs load before any port opens; a bad file stops the start.
    tls_.push_back(l.is_tls() ? std::make_shared<TlsContext>(l) : nullptr);
    admission_.emplace_back(l.max_connection_rate);
  }
  for (const auto& l : cfg_.listeners) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(l.host, ec);
    if (ec) throw std::runtime_error("listener " + l.host + ": not an IP address");
    asio::ip::tcp::endpoint ep(addr, l.port);
    asio::ip::tcp::acceptor acc(control_);
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + l.scheme + "://" + l.host + ":" +
                               std::to_string(l.port) + ": " + ec.message());
    }
    acceptors_.push_back(std::move(acc));
  }
  for (auto& w : workers_) w->start();
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    const auto& l = cfg_.listeners[i];
    log_->info("listening on {}://{}:{} (auth {})", l.scheme, l.host,
               acceptors_[i].local_endpoint().port(), auth::authentication_name(auth_[i]));
    accept(i);
  }
  schedule_tick();
  schedule_crl_check();
  control_thread_ = std::thread([this] { control_.run(); });
  started_ = true;
}

std::vector<std::uint16_t> Server::bound_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& a : acceptors_) ports.push_back(a.local_endpoint().port());
  return ports;
}

void Server::accept(std::size_t listener) {
  auto& worker = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  acceptors_[listener].async_accept(
      worker.context(),
      [this, listener, &worker](const boost::system::error_code& ec, Connection::Socket s) {
        if (ec == asio::error::operation_aborted || stopped_) return;
        // The next accept first: it reuses this accept's operation memory (Asio recycles it per
        // thread), so the post below gets a block of its own size. Posted the other way round,
        // the accept's larger block would travel to the worker and end up held by the
        // connection's pending read for as long as it is idle.
        accept(listener);
        const auto now = Clock::now();
        if (ec) {
          log_->warn("accept failed: {}", ec.message());  // e.g. out of file descriptors
        } else if (!admission_[listener].admit(now)) {
          boost::system::error_code ignored;
          s.close(ignored);  // before any TLS work
          std::uint64_t refused = 0;
          if (admission_[listener].should_log(now, refused)) {
            const auto& l = cfg_.listeners[listener];
            log_->warn(
                "listener {}://{}:{}: {} connection(s) refused by max_connection_rate {}/s "
                "({} in total)",
                l.scheme, l.host, acceptors_[listener].local_endpoint().port(), refused,
                l.max_connection_rate, admission_[listener].refused());
          }
        } else {
          // Built here and handed over whole: the post then carries 24 bytes, so its operation
          // block is no larger than the connection's later waits on the worker, which reuse it
          // (the socket alone would make it a malloc size class larger, held while idle).
          std::shared_ptr<Connection> c;
          if (tls_[listener]) {
            c = std::make_shared<TlsConnection>(worker, std::move(s), *core_, *tls_[listener]);
          } else {
            c = std::make_shared<Connection>(worker, std::move(s), *core_);
          }
          c->set_authentication(auth_[listener]);
          asio::post(worker.context(), [this, &worker, c = std::move(c)] {
            if (worker.connection_count() * workers_.size() >= cfg_.limits.max_connections) {
              log_->warn("connection refused: max_connections reached");
              return;  // the connection, never started, closes its socket as it is destroyed
            }
            c->start();
          });
        }
      });
}

void Server::reload() {
  if (!started_ || stopped_) return;
  asio::post(control_, [this] {
    if (stopped_) return;
    reload_crls(true);
    log_reload(core_->access().reload());
  });
}

void Server::log_reload(const auth::AccessControl::ReloadReport& report) {
  for (const auto& r : report.reloaded) log_->info("reloaded {}", r);
  for (const auto& e : report.errors) log_->error("reload failed: {}", e);
}

void Server::schedule_crl_check() {
  bool any = !cfg_.auth.bindings_file.empty();
  for (const auto& t : tls_) any = any || (t && t->has_crl());
  if (!any) return;
  crl_timer_.expires_after(kCrlCheckInterval);
  crl_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    reload_crls(false);
    log_reload(core_->access().reload_changed());
    schedule_crl_check();
  });
}

void Server::reload_crls(bool force) {
  for (const auto& tls : tls_) {
    if (!tls || !tls->has_crl()) continue;
    std::string error;
    switch (tls->reload_crl(force, error)) {
      case TlsContext::CrlReload::kUnchanged:
        break;
      case TlsContext::CrlReload::kFailed:
        log_->error("CRL reload failed, the previous list stays in force: {}", error);
        break;
      case TlsContext::CrlReload::kReloaded:
        log_->info("listener {}: CRL reloaded from {}", tls->name(), tls->listener().tls.crl_file);
        for (auto& w : workers_) {
          asio::post(w->context(), [&w, tls] {
            for (auto& c : w->snapshot()) c->on_revocation_list_changed(*tls);
          });
        }
        break;
    }
  }
}

void Server::schedule_tick() {
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    core_->tick(Clock::now());
    if (plugins_) plugins_->on_tick();
    schedule_tick();
  });
}

std::size_t Server::connection_count() {
  std::size_t total = 0;
  for (auto& w : workers_) {
    std::promise<std::size_t> p;
    auto f = p.get_future();
    asio::post(w->context(), [&] { p.set_value(w->connection_count()); });
    total += f.get();
  }
  return total;
}

void Server::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  {
    std::promise<void> done;
    asio::post(control_, [&] {
      boost::system::error_code ec;
      for (auto& a : acceptors_) a.close(ec);
      tick_timer_.cancel();
      crl_timer_.cancel();
      done.set_value();
    });
    done.get_future().wait();
  }
  for (auto& w : workers_) {
    asio::post(w->context(), [&w] {
      for (auto& c : w->snapshot()) c->kick(protocol::ReasonCode::kServerShuttingDown);
    });
  }
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (connection_count() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  core_->access().stop();  // logins still being checked are answered (refused) now
  core_->flush_wills(Clock::now());
  for (auto& w : workers_) {
    w->context().stop();
    w->join();
  }
  control_.stop();
  if (control_thread_.joinable()) control_thread_.join();
  log_->info("stopped");
}

}  // namespace gridmq::net
