#include "session/publish_plugins.hpp"

#include "protocol/topic.hpp"

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

}  // namespace gridmq::session
