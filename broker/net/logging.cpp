#include "net/logging.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <stdexcept>

namespace gridmq::net {

std::shared_ptr<spdlog::logger> make_logger(const config::Log& cfg, const std::string& name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto log = std::make_shared<spdlog::logger>(name, sink);
  const auto level = spdlog::level::from_str(cfg.level);
  if (level == spdlog::level::off && cfg.level != "off") {
    throw std::invalid_argument("unknown log level '" + cfg.level + "'");
  }
  log->set_level(level);
  if (cfg.json) {
    log->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%v"})",
                     spdlog::pattern_time_type::utc);
  } else {
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  log->flush_on(spdlog::level::info);
  return log;
}

}  // namespace gridmq::net
