// Publication properties as a standalone byte block, for storage: the same encoding as in a v5
// PUBLISH (property length varint + properties).

#include "codec.hpp"
#include "properties.hpp"
#include "wire.hpp"

namespace gridmq::protocol {

void encode_publish_properties(const Properties& props, std::string& out) {
  wire::Counter counter;
  props::emit_list(counter, props);
  wire::Writer w(out);
  w.varint(static_cast<std::uint32_t>(counter.size()));
  props::emit_list(w, props);
}

Result<Properties> decode_publish_properties(Bytes bytes) {
  Properties out;
  if (bytes.empty()) return out;
  wire::Reader r(bytes);
  if (auto err = props::read(r, props::Context::kPublish, out)) return *err;
  if (r.remaining() != 0) return make_error(ReasonCode::kMalformedPacket, "trailing bytes");
  return out;
}

}  // namespace gridmq::protocol
