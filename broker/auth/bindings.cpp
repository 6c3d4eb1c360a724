#include "auth/bindings.hpp"

#include <algorithm>
#include <utility>

#include "auth/principal.hpp"
#include "auth/text_file.hpp"

namespace gridmq::auth {
namespace {

[[noreturn]] void fail(const std::string& origin, std::uint32_t line, std::string_view problem) {
  std::string message = origin + ":" + std::to_string(line) + ": ";
  message.append(problem);
  throw BindingsError(message);
}

}  // namespace

BindingTable BindingTable::parse(std::string_view text, const std::string& origin) {
  BindingTable table;
  for (const detail::NumberedLine& line : detail::split_lines(text)) {
    if (detail::is_blank_or_comment(line.text)) {
      continue;
    }
    const auto colon = line.text.find(':');
    if (colon == std::string_view::npos) {
      fail(origin, line.number, "expected '<hub-id>: <meter-id> <meter-id> ...'");
    }
    const std::string_view hub = detail::trim(line.text.substr(0, colon));
    if (!is_valid_principal_id(hub)) {
      fail(origin, line.number,
           "hub id '" + std::string(hub) +
               "' is not a valid id (empty, too long, or contains '+', '#', '/', ':', a blank or "
               "a control character, or starts with '$')");
    }
    std::vector<std::string>& meters = table.hubs_[std::string(hub)];
    for (const std::string_view meter : detail::split_fields(line.text.substr(colon + 1))) {
      if (!is_valid_principal_id(meter)) {
        fail(origin, line.number,
             "meter id '" + std::string(meter) +
                 "' is not a valid id (too long, or contains '+', '#', '/', ':' or a control "
                 "character, or starts with '$')");
      }
      meters.emplace_back(meter);
    }
  }
  for (auto& [hub, meters] : table.hubs_) {
    std::sort(meters.begin(), meters.end());
    meters.erase(std::unique(meters.begin(), meters.end()), meters.end());
  }
  return table;
}

BindingTable BindingTable::load_file(const std::string& path) {
  std::string text;
  std::string problem;
  if (!detail::read_text_file(path, "bindings file", text, problem)) {
    throw BindingsError(problem);
  }
  return parse(text, path);
}

std::span<const std::string> BindingTable::meters_of(std::string_view hub_id) const {
  const auto it = hubs_.find(hub_id);
  if (it == hubs_.end()) {
    return {};
  }
  return it->second;
}

bool BindingTable::is_bound(std::string_view hub_id, std::string_view meter_id) const {
  const std::span<const std::string> meters = meters_of(hub_id);
  return std::binary_search(meters.begin(), meters.end(), meter_id, std::less<>());
}

std::size_t BindingTable::binding_count() const {
  std::size_t count = 0;
  for (const auto& [hub, meters] : hubs_) {
    count += meters.size();
  }
  return count;
}

Bindings::Bindings() : table_(std::make_shared<const BindingTable>()) {}

Bindings::Bindings(std::string path)
    : path_(std::move(path)),
      table_(std::make_shared<const BindingTable>(BindingTable::load_file(path_))) {}

Bindings::Bindings(BindingTable table)
    : table_(std::make_shared<const BindingTable>(std::move(table))) {}

std::optional<std::string> Bindings::reload() {
  if (path_.empty()) {
    return std::string("no bindings file to reload");
  }
  const std::lock_guard lock(reload_mutex_);
  try {
    // Read and parse outside any reader's way; only the pointer swap is shared.
    auto fresh = std::make_shared<const BindingTable>(BindingTable::load_file(path_));
    table_.store(std::move(fresh));
  } catch (const BindingsError& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

void Bindings::replace(BindingTable table) {
  auto fresh = std::make_shared<const BindingTable>(std::move(table));
  const std::lock_guard lock(reload_mutex_);
  table_.store(std::move(fresh));
}

}  // namespace gridmq::auth
