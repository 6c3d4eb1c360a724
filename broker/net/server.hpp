#pragma once
// Server: the listeners, the worker threads and the shared BrokerCore of one broker instance.
// Several Servers can run in one process (no globals).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/broker_config.hpp"
#include "net/admission.hpp"
#include "net/worker.hpp"
#include "plugins/host.hpp"
#include "session/broker_core.hpp"

namespace spdlog {
class logger;
}

namespace gridmq::net {

class TlsContext;

class Server {
 public:
  /// Throws std::runtime_error when a listener cannot be bound.
  /// `store` (may be null: memory only) must outlive the server.
  Server(const config::BrokerConfig& cfg, auth::Acl acl, std::shared_ptr<spdlog::logger> log,
         storage::Store* store = nullptr);
  /// With identity and authorization built from the config (main.cpp).
  Server(const config::BrokerConfig& cfg, std::shared_ptr<auth::AccessControl> access,
         std::shared_ptr<spdlog::logger> log, storage::Store* store = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listeners and starts the workers. Returns once accepting.
  void start();
  /// Graceful stop: stop accepting, disconnect every client (v5: DISCONNECT 0x8B, wills
  /// published), then stop the threads. Idempotent; blocks until done.
  void stop();

  /// Reloads what can change at run time: each tls:// listener's crl_file (clients whose
  /// certificate is now revoked are disconnected), and the ACL policy, bindings and password
  /// files. Called on SIGHUP; any thread; returns at once (the work runs on the control thread).
  void reload();

  /// The ports actually bound, in listener order (useful with port 0).
  std::vector<std::uint16_t> bound_ports() const;
  session::BrokerCore& core() { return *core_; }

  /// Hands the server its enabled plugins (null: none), before start(). The server owns them and
  /// dispatches their hooks (on_tick from the control thread).
  void set_plugins(std::unique_ptr<plugins::PluginHost> host);
  plugins::PluginHost* plugins() { return plugins_.get(); }

 private:
  void accept(std::size_t listener);
  /// Checks the CRL files and the bindings file every few seconds (modification time); control
  /// thread.
  void schedule_crl_check();
  void reload_crls(bool force);
  void log_reload(const auth::AccessControl::ReloadReport& report);
  void schedule_tick();
  std::size_t connection_count();

  config::BrokerConfig cfg_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<session::BrokerCore> core_;
  std::unique_ptr<plugins::PluginHost> plugins_;  // destroyed before core_, after the workers
  boost::asio::io_context control_{1};
  std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
  std::vector<std::shared_ptr<TlsContext>> tls_;  // per listener; null for tcp://
  std::vector<AdmissionLimiter> admission_;       // per listener; control thread
  std::vector<auth::Authentication> auth_;        // per listener
  boost::asio::steady_timer crl_timer_{control_};
  boost::asio::steady_timer tick_timer_{control_};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t next_worker_ = 0;
  std::thread control_thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace gridmq::net
