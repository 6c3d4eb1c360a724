#pragma once
// Which plugin key-value changes of one group commit need not be written: those that a later
// change of the same (plugin, key) in the same group overrides.
//
// A group is one rocksdb::WriteBatch, applied atomically, so put(k, v1) followed in that batch
// by put(k, v2) or delete(k) leaves exactly what the later change alone leaves: the earlier one
// only costs a WAL record and a memtable update. That happens when several messages of one
// meter share a group: a hub replaying a backlog, a meter catching up after an outage, a
// benchmark publisher with many messages in flight. One message per meter per 15 minutes
// never shares a group, and then nothing is skipped (a group with fewer than two plugin changes
// costs plan() one pass counting them).
//
// Only batches that are written take part: a batch that failed validation is passed as null,
// so its changes neither are skipped nor make others skippable.
//
// THREADING: the writer thread's (one planner per GroupCommitWriter).

#include <cstddef>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "storage/store.hpp"

namespace gridmq::storage::rocks {

class SupersededPluginChanges {
 public:
  /// Plans one group: `group` holds its batches in commit order, null for one that is not
  /// written. Replaces the previous plan.
  void plan(std::span<const Batch* const> group);
  /// Whether change `change` of batch `batch` (indices into the planned group) is overridden
  /// later in the group. False for anything outside the plan.
  [[nodiscard]] bool skip(std::size_t batch, std::size_t change) const;
  /// Changes the current plan skips.
  [[nodiscard]] std::size_t skipped() const { return skipped_; }
  /// Forgets the plan: skip() is false everywhere.
  void reset();

 private:
  std::vector<std::size_t> first_;  // per batch: its first change's index in skip_
  std::vector<bool> skip_;          // per change of the group, in order
  /// Record keys (plugin name and key: Batch::Change::key) of the changes seen so far.
  std::unordered_set<std::string_view> later_;
  std::size_t skipped_ = 0;
};

}  // namespace gridmq::storage::rocks
