#pragma once
// gridmq::Plugin: the interface of a built-in broker plugin (design.md §5). This is the one public
// header a plugin includes; kApiVersion changes whenever it changes incompatibly.
//
// HOOKS. Every hook is optional (the defaults do nothing) and takes one event struct by reference.
// Event structs only ever grow by new fields with defaults, so a plugin written against an older
// version keeps compiling; hooks never grow positional parameters.
//
// THREADING.
//   - on_connect, on_publish, on_subscribe, on_delivered and on_disconnect run on the worker thread
//     that owns the connection, synchronously inside packet handling. Workers run in parallel, so
//     the same hook runs concurrently for connections on different workers, and two connections
//     (a meter and its hub) may carry data of the same meter at the same time. A plugin locks
//     whatever it shares between connections (per-key sharded mutexes are the usual choice) and
//     never blocks for long: no network I/O, no sleeping, no waiting for a commit.
//   - on_tick and metrics() run on the broker's control thread (on_tick about once a second),
//     concurrently with the data-path hooks.
//   - init(), reload() and shutdown() run on the main thread: init before any listener opens,
//     shutdown after every worker has stopped, reload (SIGHUP) while traffic flows.
//   - Hooks must not throw: data-path errors are values (a rejection with a reason code).
//
// LIFECYCLE.
//   1. The host builds each enabled plugin from the registry (registry.hpp), then calls
//      validate() for every [plugins.<name>] table — enabled or not — which throws
//      config::ConfigError naming the file, line and key of a bad setting; the broker does not
//      start.
//   2. init(InitContext) once, with the validated config, the Store (may be null: no durability)
//      to restore state from (Store::get_plugin), and the broker's logger. It may throw to stop
//      the start (a corrupt state record, ...).
//   3. Hooks, from any worker, until shutdown.
//   4. reload(ReloadContext) on SIGHUP with the re-read [plugins.<name>] table: validate it and
//      swap settings in without stopping traffic, or return an error message (the old settings
//      stay in force; the broker logs it).
//   5. shutdown() once, after the last hook call.
//
// DURABLE STATE. State that must survive a restart is written as key-value changes into
// PublishResult::state (put_state / erase_state). The broker commits them in the same RocksDB batch
// as the message that caused them, so after a crash either both or neither exist. The plugin keeps
// its own in-memory copy and restores it with Store::get_plugin (at init, or per key on first use).
// Changes of one key by several messages of the same group commit cost one write (the last).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/principal.hpp"
#include "plugins/metrics.hpp"
#include "plugins/routes.hpp"
#include "protocol/packet.hpp"
#include "protocol/reason_code.hpp"
#include "storage/store.hpp"

namespace spdlog {
class logger;
}

namespace gridmq::auth {
class Bindings;
}

namespace gridmq::config {
struct PluginSection;
}

namespace gridmq::plugins {

/// Bumped on every incompatible change of this header. A plugin reports the version it was
/// written for (Plugin::api_version()); the host refuses a mismatch at start.
inline constexpr std::uint32_t kApiVersion = 1;

/// Who is on the other end of a connection. Valid for the duration of one hook call.
struct ClientInfo {
  std::string_view client_id;
  /// The authenticated principal (certificate or password), null for an anonymous client.
  const auth::Principal* principal = nullptr;
  protocol::Version version = protocol::Version::kV5;
};

struct ConnectEvent {
  const ClientInfo& client;
  std::int64_t wall_ms = 0;  // wall-clock time, ms since the Unix epoch
};

struct DisconnectEvent {
  const ClientInfo& client;
  std::int64_t wall_ms = 0;
};

/// An inbound PUBLISH that passed the protocol checks and the ACL.
struct PublishEvent {
  const ClientInfo& client;
  std::string_view topic;
  std::string_view payload;
  std::uint8_t qos = 0;
  bool retain = false;
  const protocol::Properties& props;
  /// Wall-clock time, ms since the Unix epoch, taken once per publish (injectable: tests).
  std::int64_t wall_ms = 0;
};

/// A message a plugin asks the broker to publish in addition to (or instead of) the original.
struct EmitMessage {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  protocol::UserProperties user_properties;
};

enum class Verdict : std::uint8_t {
  kAccept,    // route the message (possibly rewritten: topic / payload / user properties)
  kReject,    // refuse it: v5 PUBACK/PUBREC with `reason` and `reason_string`; 3.1.1: dropped
  kDrop,      // acknowledge with success but do not route (idempotent duplicate)
  kRedirect,  // accepted, routed to `topic` instead (quarantine), with the rewritten payload
};

/// What on_publish decided. Starts as "accept unchanged"; fields that stay empty cost nothing.
struct PublishResult {
  Verdict verdict = Verdict::kAccept;
  protocol::ReasonCode reason = protocol::ReasonCode::kSuccess;  // kReject: an error code
  std::string reason_string;                                     // kReject: why, for the client
  std::optional<std::string> topic;                              // rewrite / redirect target
  std::optional<std::string> payload;                            // rewritten payload
  protocol::UserProperties user_properties;  // added to the routed message (v5 subscribers)
  std::vector<EmitMessage> emit;             // extra messages, published right after the chain
  /// Durable key-value changes, committed with the message (see DURABLE STATE above).
  storage::Batch state;

  void reject(protocol::ReasonCode rc, std::string why) {
    verdict = Verdict::kReject;
    reason = rc;
    reason_string = std::move(why);
  }
  void put_state(std::string_view key, std::string value) {
    // `state` becomes the message's batch (take_plugin_changes), with room for the publish.
    state.put_plugin(plugin_name, key, std::move(value));
  }
  void erase_state(std::string_view key) { state.delete_plugin(plugin_name, key); }

  /// Set by the host before each plugin's on_publish: the key space of put_state.
  std::string_view plugin_name;
};

struct SubscribeEvent {
  const ClientInfo& client;
  std::string_view filter;
  std::uint8_t qos = 0;
  std::int64_t wall_ms = 0;
};

struct SubscribeResult {
  bool allow = true;
  protocol::ReasonCode reason = protocol::ReasonCode::kNotAuthorized;  // when !allow
};

/// A subscriber completed a QoS 1/2 delivery (PUBACK / PUBCOMP).
struct DeliveredEvent {
  const ClientInfo& client;
  std::string_view topic;
  std::uint8_t qos = 0;
  std::int64_t wall_ms = 0;
};

struct TickEvent {
  std::int64_t wall_ms = 0;
};

/// Everything init() gets. `config` is valid during the call only (copy what you need); the
/// pointers stay valid until shutdown() returns.
struct InitContext {
  const config::PluginSection& config;       // the validated [plugins.<name>] table
  storage::Store* store = nullptr;           // null: memory only (no state survives a restart)
  spdlog::logger* log = nullptr;             // never null when the broker calls init
  const auth::Bindings* bindings = nullptr;  // hub -> meters table; null: no hub has meters
  /// Wall clock (ms since the Unix epoch); the host's, injectable in tests.
  std::function<std::int64_t()> wall_clock;
};

struct ReloadContext {
  const config::PluginSection& config;  // the re-read table (already validated)
};

class Plugin {
 public:
  virtual ~Plugin() = default;

  /// The registry name ("meter_validation"): the [plugins.<name>] table and the state key space.
  virtual std::string_view name() const = 0;
  virtual std::uint32_t api_version() const { return kApiVersion; }

  /// Checks a [plugins.<name>] table (every key but `enabled`); throws config::ConfigError
  /// naming the key and line, with a did-you-mean hint for unknown keys. No side effects.
  virtual void validate(const config::PluginSection& config) const = 0;

  virtual void init(const InitContext& ctx) = 0;
  /// @return an error message when the new config cannot be applied (the old one stays).
  virtual std::optional<std::string> reload(const ReloadContext& ctx) {
    (void)ctx;
    return std::string("reload is not supported: restart the broker to apply changes");
  }
  virtual void shutdown() {}

  /// Which hooks the plugin implements: the host calls only these (a plugin without on_publish
  /// costs the publish path nothing).
  struct Hooks {
    bool connect = false;
    bool publish = false;
    bool subscribe = false;
    bool delivered = false;
    bool disconnect = false;
    bool tick = false;
  };
  virtual Hooks hooks() const = 0;

  virtual void on_connect(const ConnectEvent& e) { (void)e; }
  virtual void on_publish(const PublishEvent& e, PublishResult& result) {
    (void)e;
    (void)result;
  }
  virtual void on_subscribe(const SubscribeEvent& e, SubscribeResult& result) {
    (void)e;
    (void)result;
  }
  virtual void on_delivered(const DeliveredEvent& e) { (void)e; }
  virtual void on_disconnect(const DisconnectEvent& e) { (void)e; }
  virtual void on_tick(const TickEvent& e) { (void)e; }

  /// Admin HTTP routes (served by the admin listener under /plugins/<name>/...).
  virtual std::vector<Route> routes() { return {}; }
  /// Appends the plugin's Prometheus metrics (metric names start with gridmq_plugin_<name>_).
  virtual void metrics(MetricsWriter& out) const { (void)out; }
};

using PluginPtr = std::unique_ptr<Plugin>;

}  // namespace gridmq::plugins

namespace gridmq {
using Plugin = plugins::Plugin;
}
