#include "config/suggest.hpp"

#include <algorithm>
#include <vector>

namespace gridmq::config {
namespace {

std::string_view last_part(std::string_view name) {
  const auto dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance; three rolling rows of the usual table.
  const std::size_t n = b.size();
  std::vector<std::size_t> before(n + 1), previous(n + 1), current(n + 1);
  for (std::size_t j = 0; j <= n; ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= n; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[n];
}

std::optional<std::string_view> suggest(std::string_view unknown,
                                        std::span<const std::string_view> candidates) {
  // A typo touches a few characters of the last part; allow more edits for longer names.
  const std::size_t allowed = std::max<std::size_t>(2, last_part(unknown).size() / 3);
  std::optional<std::string_view> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(unknown, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best) {
    return best;
  }
  // The right key in the wrong table (or at the top level).
  for (const std::string_view candidate : candidates) {
    if (candidate != unknown && last_part(candidate) == last_part(unknown)) {
      return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace gridmq::config
