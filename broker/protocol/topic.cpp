#include "topic.hpp"

#include <cstdint>

namespace gridmq::protocol {
namespace {

constexpr std::size_t kMaxTopicBytes = 65'535;
constexpr std::string_view kSharePrefix = "$share/";

/// Checks the levels of a non-shared filter: '#' alone and last, '+' alone in its level.
bool valid_filter_levels(std::string_view filter) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = filter.find('/', start);
    const std::string_view level =
        filter.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (level.find('#') != std::string_view::npos &&
        (level != "#" || end != std::string_view::npos)) {
      return false;
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      return false;
    }
    if (end == std::string_view::npos) {
      return true;
    }
    start = end + 1;
  }
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    if (b0 < 0x80) {
      if (b0 == 0) {
        return false;  // U+0000 (MQTT-1.5.4-2)
      }
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1Fu;
      min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0Fu;
      min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07u;
      min = 0x10000;
    } else {
      return false;  // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (n - i < len) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;  // overlong, beyond Unicode, or a surrogate (MQTT-1.5.4-1)
    }
    i += len;
  }
  return true;
}

bool valid_topic_name(std::string_view topic) {
  return !topic.empty() && topic.size() <= kMaxTopicBytes && !has_wildcard(topic) &&
         valid_utf8(topic);
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxTopicBytes || !valid_utf8(filter)) {
    return false;
  }
  if (auto shared = parse_shared_filter(filter)) {
    if (shared->group.empty() || has_wildcard(shared->group) || shared->filter.empty()) {
      return false;
    }
    return valid_filter_levels(shared->filter);
  }
  return valid_filter_levels(filter);
}

std::optional<SharedFilter> parse_shared_filter(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) {
    return std::nullopt;
  }
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return SharedFilter{rest,
                        std::string_view{}};  // no inner filter: valid_topic_filter rejects it
  }
  return SharedFilter{rest.substr(0, slash), rest.substr(slash + 1)};
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;  // MQTT-4.7.2-1
  }
  constexpr auto npos = std::string_view::npos;
  std::size_t f = 0;
  std::size_t t = 0;
  bool topic_done = false;
  while (true) {
    const std::size_t fe = filter.find('/', f);
    const std::string_view fl = filter.substr(f, fe == npos ? npos : fe - f);
    if (fl == "#") {
      return true;  // this level and everything below, including the parent level itself
    }
    if (topic_done) {
      return false;
    }
    const std::size_t te = topic.find('/', t);
    const std::string_view tl = topic.substr(t, te == npos ? npos : te - t);
    if (fl != "+" && fl != tl) {
      return false;
    }
    if (te == npos) {
      topic_done = true;
    } else {
      t = te + 1;
    }
    if (fe == npos) {
      return topic_done;
    }
    f = fe + 1;
  }
}

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

}  // namespace gridmq::protocol
