#pragma once
// The plugin step of an inbound PUBLISH (after the ACL, before routing): runs the host's publish
// hooks and applies a rewrite or redirect to the packet. Only called when plugins are enabled.

#include <optional>

#include "plugins/host.hpp"
#include "protocol/packet.hpp"

namespace gridmq::session {

/// Runs `host`'s on_publish chain for `p` from `client`; on kAccept / kRedirect the rewritten
/// topic, payload and user properties are written into `p`. A rewrite to an invalid topic name
/// turns into a rejection (0x83), never into a bad message.
void run_publish_plugins(const plugins::PluginHost& host, const plugins::ClientInfo& client,
                         protocol::Publish& p, plugins::PublishResult& result);

}  // namespace gridmq::session
