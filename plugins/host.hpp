#pragma once
// PluginHost: the enabled plugins of one broker instance, and the dispatch of their hooks. Owned by
// the broker (net::Server); never global. A broker with no plugin enabled has no host at all: the
// data path tests one pointer (BrokerCore::plugins()) and pays nothing else.
//
// THREADING: after init, the dispatch methods may run on any thread concurrently (see plugin.hpp
// for which hook runs where); the host itself holds no lock on the data path. add(), reload() and
// shutdown() run on the main thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/broker_config.hpp"
#include "plugins/plugin.hpp"
#include "plugins/registry.hpp"

namespace gridmq::plugins {

class PluginHost {
 public:
  struct Options {
    storage::Store* store = nullptr;
    spdlog::logger* log = nullptr;  // required
    const auth::Bindings* bindings = nullptr;
    std::function<std::int64_t()> wall_clock;  // empty: the system clock
  };

  /// Validates every [plugins.<name>] section against `registry` (an unknown name fails with a
  /// did-you-mean hint, a bad key with its file:line), then creates and initialises the enabled
  /// plugins in config order. Throws config::ConfigError (or what a plugin's init throws).
  /// @return null when no plugin is enabled.
  static std::unique_ptr<PluginHost> create(const Registry& registry,
                                            std::span<const config::PluginSection> sections,
                                            Options options);

  explicit PluginHost(Options options);
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  /// Validates `section` with `plugin` and initialises it (tests and create()).
  void add(PluginPtr plugin, const config::PluginSection& section);

  std::int64_t wall_ms() const;
  bool has_publish_hooks() const { return !publish_.empty(); }

  /// Runs every plugin's on_publish in order on one result; a plugin sees the topic and payload as
  /// rewritten by the ones before it; the first verdict other than kAccept ends the chain.
  void on_publish(const PublishEvent& e, PublishResult& result) const;
  void on_connect(const ConnectEvent& e) const;
  void on_subscribe(const SubscribeEvent& e, SubscribeResult& result) const;
  void on_delivered(const DeliveredEvent& e) const;
  void on_disconnect(const DisconnectEvent& e) const;
  void on_tick() const;
  bool wants_connect() const { return !connect_.empty(); }
  bool wants_subscribe() const { return !subscribe_.empty(); }
  bool wants_delivered() const { return !delivered_.empty(); }
  bool wants_disconnect() const { return !disconnect_.empty(); }

  /// SIGHUP: hands each running plugin its re-read section (validated first). Plugins cannot be
  /// enabled or disabled by a reload. @return one message per problem (empty: all applied).
  std::vector<std::string> reload(std::span<const config::PluginSection> sections);

  /// Every plugin's metrics, in Prometheus text format.
  std::string metrics() const;
  std::vector<Plugin*> plugins() const;

  /// Calls shutdown() on every plugin once (also done by the destructor).
  void shutdown();

 private:
  Options options_;
  std::vector<PluginPtr> plugins_;
  std::deque<config::PluginSection> sections_;  // as applied, by plugin (reload compares)
  std::vector<Plugin*> connect_, publish_, subscribe_, delivered_, disconnect_, tick_;
  bool shut_down_ = false;
};

}  // namespace gridmq::plugins
