#include "plugins/host.hpp"

#include <chrono>

#include "config/load.hpp"
#include "config/suggest.hpp"

namespace gridmq::plugins {
namespace {

[[noreturn]] void fail_section(const config::PluginSection& s, const std::string& message) {
  throw config::ConfigError(s.origin + ":" + std::to_string(s.line) + ": " + message);
}

}  // namespace

PluginHost::PluginHost(Options options) : options_(std::move(options)) {
  if (!options_.wall_clock) {
    options_.wall_clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

PluginHost::~PluginHost() {
  shutdown();
}

std::unique_ptr<PluginHost> PluginHost::create(const Registry& registry,
                                               std::span<const config::PluginSection> sections,
                                               Options options) {
  const std::vector<std::string_view> names = registry.names();
  std::vector<std::string> full_names;
  for (const auto n : names) full_names.push_back("plugins." + std::string(n));
  const std::vector<std::string_view> candidates(full_names.begin(), full_names.end());
  // Every section is checked, enabled or not: a typo in a disabled plugin still shows.
  std::vector<std::pair<PluginPtr, const config::PluginSection*>> enabled;
  for (const auto& s : sections) {
    const PluginFactory* f = registry.find(s.name);
    if (f == nullptr) {
      std::string message = "unknown plugin 'plugins." + s.name + "'";
      if (const auto hint = config::suggest("plugins." + s.name, candidates)) {
        message.append(" (did you mean '").append(*hint).append("'?)");
      }
      fail_section(s, message);
    }
    PluginPtr p = f->make();
    if (p->api_version() != kApiVersion) {
      fail_section(s, "plugin '" + s.name + "' was built for plugin API version " +
                          std::to_string(p->api_version()) + ", this broker has " +
                          std::to_string(kApiVersion));
    }
    p->validate(s);
    if (s.enabled) enabled.emplace_back(std::move(p), &s);
  }
  if (enabled.empty()) return nullptr;
  auto host = std::make_unique<PluginHost>(std::move(options));
  for (auto& [p, s] : enabled) host->add(std::move(p), *s);
  return host;
}

void PluginHost::add(PluginPtr plugin, const config::PluginSection& section) {
  plugin->validate(section);
  sections_.push_back(section);
  const InitContext ctx{sections_.back(), options_.store, options_.log, options_.bindings,
                        options_.wall_clock};
  plugin->init(ctx);
  Plugin* p = plugin.get();
  const auto h = p->hooks();
  if (h.connect) connect_.push_back(p);
  if (h.publish) publish_.push_back(p);
  if (h.subscribe) subscribe_.push_back(p);
  if (h.delivered) delivered_.push_back(p);
  if (h.disconnect) disconnect_.push_back(p);
  if (h.tick) tick_.push_back(p);
  plugins_.push_back(std::move(plugin));
}

std::int64_t PluginHost::wall_ms() const {
  return options_.wall_clock();
}

void PluginHost::on_publish(const PublishEvent& e, PublishResult& result) const {
  for (Plugin* p : publish_) {
    result.plugin_name = p->name();
    const PublishEvent seen{e.client,
                            result.topic ? std::string_view(*result.topic) : e.topic,
                            result.payload ? std::string_view(*result.payload) : e.payload,
                            e.qos,
                            e.retain,
                            e.props,
                            e.wall_ms};
    p->on_publish(seen, result);
    if (result.verdict != Verdict::kAccept) break;
  }
  result.plugin_name = {};
}

void PluginHost::on_connect(const ConnectEvent& e) const {
  for (Plugin* p : connect_) p->on_connect(e);
}

void PluginHost::on_subscribe(const SubscribeEvent& e, SubscribeResult& result) const {
  for (Plugin* p : subscribe_) {
    p->on_subscribe(e, result);
    if (!result.allow) break;
  }
}

void PluginHost::on_delivered(const DeliveredEvent& e) const {
  for (Plugin* p : delivered_) p->on_delivered(e);
}

void PluginHost::on_disconnect(const DisconnectEvent& e) const {
  for (Plugin* p : disconnect_) p->on_disconnect(e);
}

void PluginHost::on_tick() const {
  if (tick_.empty()) return;
  const TickEvent e{wall_ms()};
  for (Plugin* p : tick_) p->on_tick(e);
}

std::vector<std::string> PluginHost::reload(std::span<const config::PluginSection> sections) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < plugins_.size(); ++i) {
    Plugin& p = *plugins_[i];
    const config::PluginSection* found = nullptr;
    for (const auto& s : sections) {
      if (s.name == p.name()) found = &s;
    }
    if (found == nullptr || !found->enabled) {
      problems.push_back("plugin " + std::string(p.name()) +
                         ": cannot be disabled by a reload; restart the broker");
      continue;
    }
    if (*found == sections_[i]) continue;  // unchanged
    try {
      p.validate(*found);
    } catch (const config::ConfigError& e) {
      problems.push_back(e.what());
      continue;
    }
    // The plugin keeps referring to sections_[i]: replace it only once the reload succeeded.
    const config::PluginSection next = *found;
    if (auto error = p.reload(ReloadContext{next})) {
      problems.push_back("plugin " + std::string(p.name()) + ": " + *error);
      continue;
    }
    sections_[i] = next;
  }
  return problems;
}

std::string PluginHost::metrics() const {
  std::string out;
  MetricsWriter w(out);
  for (const auto& p : plugins_) p->metrics(w);
  return out;
}

std::vector<Plugin*> PluginHost::plugins() const {
  std::vector<Plugin*> out;
  for (const auto& p : plugins_) out.push_back(p.get());
  return out;
}

void PluginHost::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) (*it)->shutdown();
}

}  // namespace gridmq::plugins
