#pragma once
// BrokerCore: the state every connection shares — the session registry, the subscription tree,
// retained messages, pending wills — and message routing. No sockets: connections reach it through
// ConnectionHandler, and it reaches them through Peer.
//
// THREADING: every public method is safe to call from any worker thread. Locks are never nested
// across sessions (route: tree lock, then one session lock at a time).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/access_control.hpp"
#include "auth/acl.hpp"
#include "config/broker_config.hpp"
#include "routing/retained_store.hpp"
#include "routing/subscription_tree.hpp"
#include "session/client_id_index.hpp"
#include "session/session.hpp"
#include "storage/store.hpp"

namespace gridmq::plugins {
class PluginHost;
}

namespace gridmq::session {

/// Counters for /metrics and tests. Relaxed atomics.
struct CoreStats {
  std::atomic<std::uint64_t> messages_in{0};
  std::atomic<std::uint64_t> messages_routed{0};   // deliveries queued to sessions
  std::atomic<std::uint64_t> messages_dropped{0};  // queue full or too large for the client
  std::atomic<std::uint64_t> publish_denied{0};    // ACL
  std::atomic<std::uint64_t> sessions_expired{0};
  std::atomic<std::uint64_t> storage_errors{0};  // failed commits (each also fails its acks)
};

/// What a publish needs besides the message.
struct PublishContext {
  /// The publishing session when its own durable state changes with this message (a QoS 2
  /// packet id now awaiting PUBREL): its record is committed in the same batch.
  Session* persist_publisher = nullptr;
  /// Commit even when nothing has to be stored, so that `done` runs after every earlier commit
  /// of the same connection (acknowledgements keep the order of the PUBLISH packets).
  bool keep_order = false;
  /// Plugin key-value changes (Batch::put_plugin / delete_plugin) caused by this message: they
  /// start the message's batch and are committed with it (plugins/plugin.hpp, DURABLE STATE).
  /// Left empty by publish().
  storage::Batch* plugin_state = nullptr;
};

struct PublishOutcome {
  std::size_t deliveries = 0;
  /// True: `done` will run once the commit is durable (acknowledge then). False: nothing had to
  /// become durable; `done` is not called and the caller acknowledges at once.
  bool deferred = false;
};

class BrokerCore {
 public:
  /// `store` may be null (memory only: unit tests); it must outlive the core. `acl` decides for
  /// anonymous clients; principals get the built-in metering profile (no files, no passwords).
  BrokerCore(const config::BrokerConfig& cfg, auth::Acl acl, storage::Store* store = nullptr);
  /// As above with identity and authorization loaded from the config (main.cpp builds `access`).
  BrokerCore(const config::BrokerConfig& cfg, std::shared_ptr<auth::AccessControl> access,
             storage::Store* store = nullptr);
  ~BrokerCore();
  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;

  const config::BrokerConfig& config() const { return cfg_; }
  /// Identity and authorization: certificate mapping, passwords, the ACL for every request.
  auth::AccessControl& access() const { return *access_; }
  CoreStats& stats() { return stats_; }
  /// The enabled plugins (owned by the server), or null when none is enabled. Set before start.
  plugins::PluginHost* plugins() const { return plugins_; }
  void set_plugins(plugins::PluginHost* host) { plugins_ = host; }

  struct Attached {
    SessionPtr session;
    bool present = false;  // an existing session was resumed
    /// True: the session's record (or the deletion of a discarded persistent session) is being
    /// committed and `done` runs once it is durable (send CONNACK then). False: nothing to store.
    bool deferred = false;
  };
  /// Binds `client_id`'s session to `peer` (creating it, or discarding the old one when
  /// clean_start). A previous owner is kicked with 0x8E (session taken over). A pending delayed
  /// will of this client is cancelled (session resumed) or published now (clean start).
  Attached attach(const std::string& client_id, bool clean_start, protocol::Version version,
                  std::uint32_t expiry_interval, const std::shared_ptr<Peer>& peer,
                  Clock::time_point now, std::function<void(const storage::Status&)> done = {});

  /// The connection `peer` ended. If it still owns the session: the session expires now (expiry
  /// 0, removed with its subscriptions) or at now + expiry_interval.
  void detach(const SessionPtr& session, const Peer* peer, Clock::time_point now);

  /// Routes a message: stores/clears it as retained when msg->retain, queues a Delivery on every
  /// matching session and wakes their connections. QoS 1/2 deliveries to persistent sessions,
  /// the message body and retained changes are committed to the store in one batch; `done`
  /// (which may be empty) runs on the store's writer thread when that batch is durable, and
  /// gets the spent batch to destroy (Store::commit_and_return: the caller's worker should).
  PublishOutcome publish(const MessagePtr& msg, Clock::time_point now,
                         const PublishContext& ctx = {},
                         std::function<void(const storage::Status&, storage::Batch&&)> done = {});

  /// Runs `done` once every commit handed in before this call is durable (commits complete in
  /// order). Acknowledgements that store nothing use it to keep the order of the PUBLISHes.
  void after_commits(std::function<void(const storage::Status&)> done) {
    commit(storage::Batch{}, std::move(done));
  }

  /// A subscriber completed a QoS 1/2 delivery (PUBACK / PUBCOMP): its durable entry goes.
  void delivered(Session& session, const Delivery& d);
  /// A subscriber sent PUBREC for a QoS 2 delivery: its durable entry records the release.
  /// @return true if it did: `done` runs once durable (send PUBREL then: after a crash the
  /// broker must resend PUBREL, not the PUBLISH the subscriber already released). False:
  /// nothing to store and `done` is not called.
  bool released(Session& session, const Inflight& f,
                std::function<void(const storage::Status&)> done = {});
  /// The connection is about to send (or resend) these in-flight deliveries of `session`: the
  /// packet ids of its durable QoS 2 ones are committed first, since exactly once needs the
  /// same packet id after a crash (MQTT-4.3.3). Also a barrier: `done` runs after every earlier
  /// commit (released states included). @return true if a commit was made: send in `done`.
  bool sending(Session& session, const std::vector<const Inflight*>& inflight,
               std::function<void(const storage::Status&)> done);
  /// Commits the session's record (subscriptions, inbound QoS 2 ids, expiry) if it is
  /// persistent. @return true if it did: `done` runs once durable. False: nothing to store and
  /// `done` is not called.
  bool persist_session(Session& session, std::function<void(const storage::Status&)> done = {});

  /// Rebuilds sessions, queues and retained messages from a store snapshot (startup, before any
  /// connection). Sessions that expired while the broker was down are deleted.
  void restore(const storage::Snapshot& snap, Clock::time_point now);

  /// Adds one subscription of `session` (already validated and authorized) and queues the
  /// retained messages it should get per retain handling. @return true if it was new.
  bool subscribe(const SessionPtr& session, const protocol::SubscribeEntry& entry,
                 std::uint32_t subscription_id, Clock::time_point now);

  /// @return true if the subscription existed.
  bool unsubscribe(const SessionPtr& session, const std::string& filter);

  /// Who sent a will: the plugins judge it, when it is published, as a PUBLISH of this client.
  struct WillAuthor {
    std::string client_id;
    std::optional<auth::Principal> principal;  // none: anonymous
    protocol::Version version = protocol::Version::kV5;
  };
  /// Publishes `will` of `author` after `delay_s` seconds (0: now), unless attach() for the
  /// same client id cancels it first. With plugins, the will passes their publish hooks first
  /// (a rejected or dropped one is not published; a redirected or rewritten one is published
  /// as they made it, with their state changes in its commit).
  void schedule_will(WillAuthor author, protocol::Will will, std::uint32_t delay_s,
                     routing::SubscriberKey origin, Clock::time_point now);

  /// Where warnings go (queue drops per client, at most one line per client per tick). Set
  /// before the first connection; without it they are only counted.
  void set_warning_sink(std::function<void(const std::string&)> sink) { warn_ = std::move(sink); }

  /// True if `d` waited longer than [mqtt] max_queued_age_s: it is dropped, not delivered.
  bool too_old(const Delivery& d, Clock::time_point now) const {
    return max_age_.count() > 0 && now - d.queued_at >= max_age_;
  }
  /// `d`, taken from `session`'s queue, is dropped (too old, expired, too large for the client):
  /// counted if `count`, and its durable entry goes. Requires the caller to hold the session's
  /// lock and pass its state.
  void drop(Session& session, Session::State& st, const Delivery& d, bool count);

  /// Fires due wills and removes expired offline sessions. Call about once a second.
  void tick(Clock::time_point now);

  /// Publishes every pending delayed will now (graceful shutdown).
  void flush_wills(Clock::time_point now);

  std::size_t session_count() const;

  /// A fresh client identifier for a client that connected with an empty one.
  std::string assign_client_id();

  /// A message built from a PUBLISH or a will (computes expires_at from the v5 property).
  MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos, bool retain,
                          protocol::Properties props, routing::SubscriberKey origin,
                          Clock::time_point now);

 private:
  struct PendingWill {
    WillAuthor author;
    protocol::Will will;
    routing::SubscriberKey origin = 0;
    Clock::time_point due;
  };

  bool enqueue(Session& s, Delivery d, const MessagePtr& msg, storage::Batch* batch,
               std::shared_ptr<Peer>& wake, Clock::time_point now);
  /// Removes `d`'s durable entry (in `batch`, or in a commit of its own if null).
  void forget(Session& s, const Delivery& d, storage::Batch* batch);
  bool persistent(const Session::State& st) const { return store_ && st.expiry_interval > 0; }
  storage::StoredSession record(Session& s);  // locks s
  storage::StoredMessage stored_message(const routing::Message& m) const;
  storage::QueueEntry queue_entry(const Inflight& f) const;
  MessagePtr restored_message(const storage::StoredMessage& m, Clock::time_point now) const;
  void commit(storage::Batch batch, std::function<void(const storage::Status&)> done = {});
  /// commit() through Store::commit_and_return: `done` gets the spent batch back.
  void commit_returning(storage::Batch batch,
                        std::function<void(const storage::Status&, storage::Batch&&)> done);
  storage::UnixMillis to_wall(Clock::time_point t) const;
  Clock::time_point from_wall(storage::UnixMillis ms) const;
  void remove_session_locked(const SessionPtr& s);  // requires sessions_mu_ exclusive
  void drop_subscriptions(Session& s);
  /// Adds the deletion of message bodies whose last durable reference was a queue entry of `s`
  /// (the session itself is being deleted). Locks s.
  void release_bodies(Session& s, storage::Batch& batch);
  void publish_will(PendingWill w, Clock::time_point now);

  const config::BrokerConfig cfg_;
  const std::shared_ptr<auth::AccessControl> access_;
  storage::Store* const store_;
  plugins::PluginHost* plugins_ = nullptr;
  /// Wall clock minus steady clock at construction: durable times are wall-clock.
  const std::chrono::system_clock::duration wall_offset_;
  std::atomic<std::uint64_t> next_message_id_{1};
  CoreStats stats_;
  routing::SubscriptionTree tree_;
  routing::RetainedStore retained_;

  mutable std::shared_mutex sessions_mu_;
  ClientIdIndex by_client_id_;  // client id -> slot index; guarded by sessions_mu_
  /// Sessions by subscriber key: key = generation << 32 | slot index. A generation bump on
  /// release makes a stale key (from a match racing a session's removal) find nothing.
  struct Slot {
    SessionPtr session;
    std::uint32_t generation = 1;
  };
  std::vector<Slot> slots_;                                     // guarded by sessions_mu_
  std::vector<std::uint32_t> free_slots_;                       // guarded by sessions_mu_
  SessionPtr new_session_locked(const std::string& client_id);  // requires sessions_mu_
  SessionPtr find_by_key(routing::SubscriberKey key) const;     // takes sessions_mu_ shared
  /// The client id of the session in `slot` (every slot in by_client_id_ holds one).
  auto id_of_slot() const {
    return [this](std::uint32_t slot) -> std::string_view {
      return slots_[slot].session->client_id();
    };
  }
  /// The slot of the session with this client id; requires sessions_mu_.
  std::optional<std::uint32_t> find_slot_locked(std::string_view client_id) const {
    return by_client_id_.find(client_id, id_of_slot());
  }
  static std::uint32_t slot_index(routing::SubscriberKey key) {
    return static_cast<std::uint32_t>(key & 0xFFFFFFFFu);
  }

  const std::chrono::seconds max_age_;
  const bool drop_oldest_;
  std::function<void(const std::string&)> warn_;

  const std::uint64_t id_salt_;
  std::atomic<std::uint64_t> assigned_ids_{0};

  std::mutex wills_mu_;
  std::unordered_map<std::string, PendingWill> wills_;  // guarded by wills_mu_
};

}  // namespace gridmq::session
