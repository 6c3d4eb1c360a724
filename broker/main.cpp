// gridmq: wires config, ACL, logging and the server together. The only place that knows them all.

#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

#include "auth/access_control.hpp"
#include "auth/passwd_command.hpp"
#include "config/load.hpp"
#include "net/logging.hpp"
#include "net/server.hpp"
#include "open_store.hpp"
#include "plugins/host.hpp"
#include "plugins/registry.hpp"

namespace gridmq {
namespace {

/// Builds AccessControl from the [auth] and [identity] tables. Throws on a bad file or value.
std::shared_ptr<auth::AccessControl> make_access_control(const config::BrokerConfig& cfg) {
  auth::AccessControlOptions o;
  const auto id_from = auth::parse_id_source(cfg.identity.id_from);
  const auto role_from = auth::parse_role_source(cfg.identity.role_from);
  if (!id_from || !role_from) throw std::runtime_error("[identity]: unknown id_from / role_from");
  o.mapping.id_from = *id_from;
  o.mapping.role_from = *role_from;
  o.mapping.san_uri_prefix = cfg.identity.san_uri_prefix;
  o.require_client_id_match = cfg.identity.require_client_id_match;
  o.password_file = cfg.auth.password_file;
  o.acl_policy_file = cfg.auth.acl_policy_file;
  o.bindings_file = cfg.auth.bindings_file;
  o.failed_auth_delay = std::chrono::milliseconds(cfg.auth.failed_auth_delay_ms);
  auth::Acl acl =
      cfg.auth.file.empty() ? auth::Acl::allow_all() : auth::Acl::load_file(cfg.auth.file);
  return std::make_shared<auth::AccessControl>(std::move(o), std::move(acl));
}

}  // namespace
}  // namespace gridmq

namespace {

int run(int argc, char** argv) {
  gridmq::config::CommandLine cl;
  try {
    cl = gridmq::config::parse_command_line(argc, argv);
  } catch (const gridmq::config::ConfigError& e) {
    std::cerr << "gridmq: " << e.what() << "\n";
    return 2;
  }
  if (cl.exit_now) return cl.exit_code;
  const auto& cfg = cl.config;

  std::shared_ptr<spdlog::logger> log;
  try {
    log = gridmq::net::make_logger(cfg.log, "gridmq");
  } catch (const std::exception& e) {
    std::cerr << "gridmq: " << e.what() << "\n";
    return 2;
  }

  // Identity and authorization: the v1 acl_file (anonymous clients), the certificate mapping,
  // the password file, the ACL policy and the bindings. Any bad file stops the start.
  std::shared_ptr<gridmq::auth::AccessControl> access;
  try {
    gridmq::config::check_auth(cfg);
    access = gridmq::make_access_control(cfg);
  } catch (const std::exception& e) {
    std::cerr << "gridmq: " << e.what() << "\n";
    return 2;
  }

  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) {
    std::cerr << "gridmq: cannot create data_dir '" << cfg.data_dir << "': " << ec.message()
              << "\n";
    return 2;
  }

  // Signal handling is in place before any listener opens: a SIGTERM that arrives as soon as the
  // port accepts still shuts down gracefully (asio queues it until run()).
  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM, SIGHUP);
  gridmq::net::Server* running = nullptr;  // SIGHUP reloads it (CRLs) once started
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (!ec && sig == SIGHUP) {
          log->info("signal {}: reloading", sig);
          if (running) running->reload();
          if (running && running->plugins()) {
            // The plugins get their re-read [plugins.<name>] tables; a bad file changes nothing.
            try {
              const auto again = gridmq::config::parse_command_line(argc, argv);
              for (const auto& problem : running->plugins()->reload(again.config.plugins)) {
                log->error("plugin reload: {}", problem);
              }
            } catch (const std::exception& e) {
              log->error("plugin reload: {}; the running settings stay", e.what());
            }
          }
          signals.async_wait(on_signal);
          return;
        }
        log->info("signal {}: shutting down", sig);
      };
  signals.async_wait(on_signal);

  auto store = gridmq::open_store(cfg, *log);
  if (!store) return 2;
  // Plugins: validated (a bad [plugins.<name>] table stops the start) and initialised with the
  // store to restore their state from and the hub -> meters bindings.
  std::unique_ptr<gridmq::plugins::PluginHost> plugins;
  try {
    gridmq::plugins::PluginHost::Options options;
    options.store = store->store.get();
    options.log = log.get();
    options.bindings = &access->bindings();
    plugins = gridmq::plugins::PluginHost::create(gridmq::plugins::builtin_registry(), cfg.plugins,
                                                  std::move(options));
  } catch (const std::exception& e) {
    std::cerr << "gridmq: " << e.what() << "\n";
    return 2;
  }
  gridmq::net::Server server(cfg, access, log, store->store.get());
  server.set_plugins(std::move(plugins));
  server.core().set_warning_sink([log](const std::string& line) { log->warn("{}", line); });
  server.core().restore(store->snapshot, std::chrono::steady_clock::now());
  store->snapshot = {};
  try {
    server.start();
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 1;
  }
  running = &server;
  signals_ctx.run();
  server.stop();
  store->store->close();  // every commit handed in is durable before the process ends
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "passwd") {
    return gridmq::auth::run_passwd_command(argc, argv, std::cin, std::cout, std::cerr);
  }
  return run(argc, argv);
}
