#include "packet.hpp"

namespace gridmq::protocol {
namespace {

struct TypeOf {
  PacketType operator()(const Connect&) const { return PacketType::kConnect; }
  PacketType operator()(const Connack&) const { return PacketType::kConnack; }
  PacketType operator()(const Publish&) const { return PacketType::kPublish; }
  PacketType operator()(const PubResponse& p) const { return p.type; }
  PacketType operator()(const Subscribe&) const { return PacketType::kSubscribe; }
  PacketType operator()(const Suback&) const { return PacketType::kSuback; }
  PacketType operator()(const Unsubscribe&) const { return PacketType::kUnsubscribe; }
  PacketType operator()(const Unsuback&) const { return PacketType::kUnsuback; }
  PacketType operator()(const Pingreq&) const { return PacketType::kPingreq; }
  PacketType operator()(const Pingresp&) const { return PacketType::kPingresp; }
  PacketType operator()(const Disconnect&) const { return PacketType::kDisconnect; }
  PacketType operator()(const Auth&) const { return PacketType::kAuth; }
};

}  // namespace

PacketType packet_type(const Packet& p) {
  return std::visit(TypeOf{}, p);
}

}  // namespace gridmq::protocol
