#pragma once
// Retained messages by topic, matched against subscription filters.
//
// THREADING: safe for concurrent use (internal shared mutex).

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "routing/message.hpp"

namespace gridmq::routing {

class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;

  /// Stores `msg` as the retained message of its topic; an empty payload deletes it
  /// (MQTT-3.3.1-10).
  void put(const MessagePtr& msg);

  /// Appends every unexpired retained message whose topic matches `filter` (a plain filter, not
  /// $share) to `out`. Expired ones are dropped from the store as they are found.
  void match(std::string_view filter, Clock::time_point now, std::vector<MessagePtr>& out);

  std::size_t size() const;

  /// Number of trie nodes besides the root (one per distinct topic level prefix); nodes left
  /// without a message or children are pruned. For tests and metrics.
  std::size_t node_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmq::routing
