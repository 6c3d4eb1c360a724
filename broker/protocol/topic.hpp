#pragma once
// Topic names, topic filters and UTF-8 rules of MQTT (3.1.1 §1.5.3 / §4.7, 5.0 §1.5.4 / §4.7 /
// §4.8).

#include <optional>
#include <string_view>

namespace gridmq::protocol {

/// Well-formed UTF-8 as MQTT requires: no U+0000, no surrogates (U+D800..U+DFFF), no overlong
/// forms, nothing above U+10FFFF.
bool valid_utf8(std::string_view s);

/// A topic name for PUBLISH: at least one byte, no '+' or '#', valid UTF-8, at most 65535 bytes.
bool valid_topic_name(std::string_view topic);

/// A topic filter for SUBSCRIBE/UNSUBSCRIBE: '#' only as the last level and alone in its level, '+'
/// alone in its level, non-empty. A "$share/<group>/<filter>" filter is valid when the group is
/// non-empty without '+', '#' or '/', and the inner filter is valid.
bool valid_topic_filter(std::string_view filter);

struct SharedFilter {
  std::string_view group;
  std::string_view filter;
};

/// Splits "$share/<group>/<filter>"; std::nullopt for a filter that is not a shared subscription.
std::optional<SharedFilter> parse_shared_filter(std::string_view filter);

/// True when `filter` (not a $share filter) matches `topic`. A topic starting with '$' is not
/// matched by a filter starting with '+' or '#' (MQTT-4.7.2-1).
bool topic_matches(std::string_view filter, std::string_view topic);

/// True when the filter contains '+' or '#'.
bool has_wildcard(std::string_view filter);

}  // namespace gridmq::protocol
