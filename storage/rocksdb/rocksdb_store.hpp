#pragma once
// The RocksDB Store: a Database (database.hpp), the group-commit writer (group_commit.hpp) and
// the startup load (load.cpp). Layout: layout.hpp.
//
// THREADING: commit() and get_plugin() from any thread; load() once before the first commit;
// close() (or destruction) once every caller is done with the store.

#include <atomic>
#include <memory>
#include <mutex>

#include "storage/rocksdb/database.hpp"
#include "storage/rocksdb/group_commit.hpp"
#include "storage/store.hpp"

namespace gridmq::storage::rocks {

class RocksDbStore final : public Store {
 public:
  RocksDbStore(const StoreOptions& options, std::unique_ptr<Database> db,
               MessageId persisted_max_id);
  ~RocksDbStore() override;

  Status load(Snapshot& out, std::vector<std::string>& warnings) override;
  void commit(Batch batch, std::function<void(const Status&)> done) override;
  void commit_and_return(Batch batch, std::function<void(const Status&, Batch&&)> done) override;
  Status commit_sync(Batch batch) override;
  Status get_plugin(std::string_view plugin, std::string_view key, std::string& value,
                    bool& found) override;
  void close() override;

 private:
  StoreOptions options_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<GroupCommitWriter> writer_;
  std::mutex close_mutex_;           // serialises close()
  std::atomic<bool> closed_{false};  // load/get_plugin refuse once set
};

}  // namespace gridmq::storage::rocks
