#pragma once
// The broker's logger: one spdlog logger per broker instance (never the global registry).

#include <memory>
#include <string>

#include "config/broker_config.hpp"

namespace spdlog {
class logger;
}

namespace gridmq::net {

/// A logger writing to stderr, as text or (cfg.json) as JSON lines. Throws std::invalid_argument
/// for an unknown level.
std::shared_ptr<spdlog::logger> make_logger(const config::Log& cfg, const std::string& name);

}  // namespace gridmq::net
