#pragma once
// "Did you mean ...?" for unknown config keys: the nearest known name by edit distance.

#include <optional>
#include <span>
#include <string_view>

namespace gridmq::config {

/// Edit distance (insertions, deletions, substitutions and swaps of two adjacent characters each
/// count 1) between `a` and `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The known name closest to `unknown`, if it is close enough to be a likely typo, or else a known
/// name with the same last dotted part in another table ("mqtt.threads" -> "broker.threads").
/// Returns nothing when no candidate is plausible.
std::optional<std::string_view> suggest(std::string_view unknown,
                                        std::span<const std::string_view> candidates);

}  // namespace gridmq::config
