#include "storage/rocksdb/superseded.hpp"

namespace gridmq::storage::rocks {

void SupersededPluginChanges::plan(std::span<const Batch* const> group) {
  reset();
  std::size_t plugin_changes = 0;
  for (const Batch* b : group) {
    if (b == nullptr) continue;
    for (const auto& c : b->changes()) plugin_changes += Batch::is_plugin_op(c.op);
  }
  if (plugin_changes < 2) return;  // nothing can be overridden: the usual case, one count
  std::size_t total = 0;
  first_.reserve(group.size());
  for (const Batch* b : group) {
    first_.push_back(total);
    if (b != nullptr) total += b->size();
  }
  skip_.assign(total, false);
  // Backwards: a change is skipped when a change of its key was already seen, i.e. comes later.
  for (std::size_t i = group.size(); i-- > 0;) {
    if (group[i] == nullptr) continue;
    const auto& changes = group[i]->changes();
    for (std::size_t j = changes.size(); j-- > 0;) {
      const Batch::Change& c = changes[j];
      if (!Batch::is_plugin_op(c.op)) continue;
      if (!later_.insert(c.key).second) {
        skip_[first_[i] + j] = true;
        ++skipped_;
      }
    }
  }
  later_.clear();  // its views point into the batches
}

bool SupersededPluginChanges::skip(std::size_t batch, std::size_t change) const {
  if (batch >= first_.size()) return false;
  const std::size_t end = batch + 1 < first_.size() ? first_[batch + 1] : skip_.size();
  const std::size_t at = first_[batch] + change;
  return at < end && skip_[at];
}

void SupersededPluginChanges::reset() {
  first_.clear();
  skip_.clear();
  later_.clear();
  skipped_ = 0;
}

}  // namespace gridmq::storage::rocks
