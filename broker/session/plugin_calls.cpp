#include "session/plugin_calls.hpp"

#include "protocol/topic.hpp"
#include "session/broker_core.hpp"

namespace gridmq::session {

void run_publish_plugins(const plugins::PluginHost& host, const plugins::ClientInfo& client,
                         protocol::Publish& p, plugins::PublishResult& result) {
  const plugins::PublishEvent e{client,   p.topic, p.payload,     p.qos,
                                p.retain, p.props, host.wall_ms()};
  host.on_publish(e, result);
  if (result.verdict != plugins::Verdict::kAccept &&
      result.verdict != plugins::Verdict::kRedirect) {
    return;
  }
  if (result.topic) {
    if (!protocol::valid_topic_name(*result.topic)) {
      result.reject(protocol::ReasonCode::kImplementationSpecificError,
                    "a plugin rewrote the topic to an invalid name");
      return;
    }
    p.topic = std::move(*result.topic);
  }
  if (result.payload) p.payload = std::move(*result.payload);
  for (auto& up : result.user_properties) p.props.user_properties.push_back(std::move(up));
}

void publish_emitted(BrokerCore& core, plugins::PublishResult& result,
                     routing::SubscriberKey origin, Clock::time_point now) {
  for (auto& m : result.emit) {
    core.publish(core.make_message(std::move(m.topic), std::move(m.payload), m.qos, m.retain, {},
                                   origin, now),
                 now);
  }
  result.emit.clear();
}

bool plugins_allow_subscribe(const plugins::PluginHost* host, const plugins::ClientInfo& client,
                             const protocol::SubscribeEntry& e, protocol::ReasonCode& rc) {
  if (host == nullptr || !host->wants_subscribe()) return true;
  plugins::SubscribeResult r;
  host->on_subscribe(plugins::SubscribeEvent{client, e.filter, e.qos, host->wall_ms()}, r);
  if (r.allow) return true;
  rc = protocol::is_error(r.reason) ? r.reason : protocol::ReasonCode::kNotAuthorized;
  return false;
}

void plugins_delivered(const plugins::PluginHost* host, const plugins::ClientInfo& client,
                       const Delivery& d) {
  if (host == nullptr || !host->wants_delivered()) return;
  host->on_delivered(plugins::DeliveredEvent{client, d.msg->topic, d.qos, host->wall_ms()});
}

}  // namespace gridmq::session
