#pragma once
// Startup glue: opens the configured store and reads everything back, logging what it finds.

#include <memory>
#include <optional>

#include "config/broker_config.hpp"
#include "storage/store.hpp"

namespace spdlog {
class logger;
}

namespace gridmq {

struct OpenedStore {
  std::unique_ptr<storage::Store> store;
  storage::Snapshot snapshot;
};

/// Opens the RocksDB store under cfg.data_dir and loads it. On failure logs why (a database that
/// cannot be opened, a corrupt record) and returns nothing: the broker refuses to start rather
/// than run without the data it acknowledged.
std::optional<OpenedStore> open_store(const config::BrokerConfig& cfg, spdlog::logger& log);

}  // namespace gridmq
