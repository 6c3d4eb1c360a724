// gridmq: wires config, ACL, logging and the server together. The only place that knows them all.

#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "auth/acl.hpp"
#include "config/load.hpp"
#include "net/logging.hpp"
#include "net/server.hpp"

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

  gridmq::auth::Acl acl = gridmq::auth::Acl::allow_all();
  if (!cfg.auth.file.empty()) {
    try {
      acl = gridmq::auth::Acl::load_file(cfg.auth.file);
    } catch (const std::exception& e) {
      std::cerr << "gridmq: " << e.what() << "\n";
      return 2;
    }
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
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    log->info("signal {}: shutting down", sig);
  });

  gridmq::net::Server server(cfg, std::move(acl), log);
  try {
    server.start();
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 1;
  }
  signals_ctx.run();
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return run(argc, argv);
}
