#pragma once
// Where the session layer calls the plugins (plugins/host.hpp): the publish step (after the ACL,
// before routing), subscribe, delivered, connect and disconnect. Each is called only when a host
// exists (plugins enabled); without one the session tests one pointer.

#include <optional>

#include "plugins/host.hpp"
#include "protocol/packet.hpp"
#include "session/session.hpp"

namespace gridmq::session {

class BrokerCore;

/// Runs `host`'s on_publish chain for `p` from `client`; on kAccept / kRedirect the rewritten
/// topic, payload and user properties are written into `p`. A rewrite to an invalid topic name
/// turns into a rejection (0x83), never into a bad message.
void run_publish_plugins(const plugins::PluginHost& host, const plugins::ClientInfo& client,
                         protocol::Publish& p, plugins::PublishResult& result);

/// Publishes the messages the plugins emitted (`result.emit`, emptied) from `origin`: right
/// after the plugin chain, before the message that caused them, whatever the verdict.
void publish_emitted(BrokerCore& core, plugins::PublishResult& result,
                     routing::SubscriberKey origin, Clock::time_point now);

/// The subscribe hooks for one entry that passed the ACL: false (and `rc` set) when a plugin
/// refuses it. True when `host` is null.
bool plugins_allow_subscribe(const plugins::PluginHost* host, const plugins::ClientInfo& client,
                             const protocol::SubscribeEntry& e, protocol::ReasonCode& rc);

/// The delivered hooks (a subscriber completed `d`), when `host` wants them.
void plugins_delivered(const plugins::PluginHost* host, const plugins::ClientInfo& client,
                       const Delivery& d);

}  // namespace gridmq::session
