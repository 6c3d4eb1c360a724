#pragma once
// The subscription trie: topic filters (with '+' / '#' wildcards and $share groups) -> subscribers.
//
// THREADING: safe for concurrent use. match() takes a shared lock (readers never block each
// other); subscribe/unsubscribe take an exclusive lock. Shared-group round-robin uses atomics.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::routing {

/// Opaque key of a subscribing session, assigned by the broker (never 0).
using SubscriberKey = std::uint64_t;

struct SubscriptionOptions {
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
  std::uint32_t subscription_id = 0;  // 0 = none
  bool operator==(const SubscriptionOptions&) const = default;
};

/// One delivery decided by match(): a subscriber and how to deliver to it.
struct Match {
  SubscriberKey subscriber = 0;
  std::uint8_t qos = 0;              // highest granted QoS among the subscriber's matching filters
  bool retain_as_published = false;  // true if any matching subscription asked for it
  /// Subscription identifiers of every matching subscription that has one (v5 §3.3.4), ascending,
  /// without duplicates.
  std::vector<std::uint32_t> subscription_ids;
  bool shared = false;  // delivered through a $share group
};

class SubscriptionTree {
 public:
  SubscriptionTree();
  ~SubscriptionTree();
  SubscriptionTree(const SubscriptionTree&) = delete;
  SubscriptionTree& operator=(const SubscriptionTree&) = delete;

  /// Adds or replaces the subscription of `who` to `filter` (which may be "$share/g/f"; the filter
  /// must already be valid). @return true if it is new, false if an existing one was replaced.
  bool subscribe(std::string_view filter, SubscriberKey who, const SubscriptionOptions& opts);

  /// @return true if the subscription existed.
  bool unsubscribe(std::string_view filter, SubscriberKey who);

  /// Appends to `out` one Match per non-shared subscriber whose filters match `topic` (aggregated:
  /// max QoS, all subscription ids; subscriptions with no_local whose subscriber == `publisher` are
  /// skipped), then one Match per $share group that matches (one member chosen round-robin per
  /// group, skipping the publisher only if no_local). `out` is not cleared.
  void match(std::string_view topic, SubscriberKey publisher, std::vector<Match>& out) const;

  /// Number of (filter, subscriber) pairs stored.
  std::size_t size() const;

  /// Number of trie nodes besides the root (one per distinct filter level prefix); nodes left
  /// without subscribers or children are pruned, so this drops back to 0 when size() does.
  /// For tests and metrics.
  std::size_t node_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridmq::routing
