#pragma once
// Opening the RocksDB database: DB and column family options tuned for gridmq's workload, every
// column family of layout.hpp, and the format check (a newer layout is refused).

#include <rocksdb/db.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "storage/rocksdb/layout.hpp"

namespace gridmq::storage::rocks {

/// An open database with its column family handles; destroying it frees the handles and closes
/// the database. THREADING: as rocksdb::DB (any thread), but not destroyed while in use.
class Database {
 public:
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs_[static_cast<std::size_t>(c)]; }
  const std::string& path() const { return path_; }

  /// Opens (creating if needed) the database at `path` with every gridmq column family (and any
  /// other it already has). Fails with "cannot open RocksDB at '<path>': <reason>".
  /// With `check_format`, also reads meta/"format": a newer version than kFormatVersion is
  /// refused, a missing one is written (a new database).
  [[nodiscard]] static std::unique_ptr<Database> open(const std::string& path, bool check_format,
                                                      std::string& error);

 private:
  Database(std::string path, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles);
  [[nodiscard]] bool check_format(std::string& error);

  std::string path_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // all of them, ours and unknown ones
  std::array<rocksdb::ColumnFamilyHandle*, kCfCount> cfs_{};
};

/// The DB-wide options: WAL on (synced by the writer), bounded memory, two background jobs.
[[nodiscard]] rocksdb::DBOptions make_db_options();
/// Per column family options; `cf` sizes the write buffer (queues and messages take the traffic).
[[nodiscard]] rocksdb::ColumnFamilyOptions make_cf_options(
    std::string_view cf, const std::shared_ptr<rocksdb::Cache>& block_cache);

}  // namespace gridmq::storage::rocks
