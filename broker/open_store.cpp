#include "open_store.hpp"

#include <spdlog/logger.h>

#include <chrono>

namespace gridmq {

std::optional<OpenedStore> open_store(const config::BrokerConfig& cfg, spdlog::logger& log) {
  storage::StoreOptions options;
  options.path = cfg.data_dir;
  options.sync = cfg.storage.sync == "none"      ? storage::SyncPolicy::kNone
                 : cfg.storage.sync == "batched" ? storage::SyncPolicy::kBatched
                                                 : storage::SyncPolicy::kSync;
  options.group_commit_max_delay_us = cfg.storage.group_commit_delay_us;
  options.batch_interval_ms = cfg.storage.batch_interval_ms;
  options.quarantine_corrupt = cfg.storage.quarantine_corrupt;
  if (options.sync == storage::SyncPolicy::kNone) {
    log.warn(
        "storage sync = \"none\": acknowledged messages do not survive a power cut "
        "(benchmarks only)");
  }

  OpenedStore out;
  std::string error;
  std::vector<std::string> warnings;
  out.store = storage::open_rocksdb_store(options, error, warnings);
  for (const auto& w : warnings) log.warn("{}", w);
  warnings.clear();
  if (!out.store) {
    log.error("{}", error);
    return std::nullopt;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto status = out.store->load(out.snapshot, warnings);
  for (const auto& w : warnings) log.warn("{}", w);
  if (!status.ok) {
    log.error(
        "{} (the broker does not start without its data; set [storage] quarantine_corrupt "
        "= true to move bad records aside)",
        status.message);
    return std::nullopt;
  }
  std::size_t queued = 0;
  for (const auto& [client, entries] : out.snapshot.queues) queued += entries.size();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  log.info("storage {}: {} sessions, {} queued messages, {} retained, loaded in {} ms",
           cfg.data_dir, out.snapshot.sessions.size(), queued, out.snapshot.retained.size(), ms);
  return out;
}

}  // namespace gridmq
