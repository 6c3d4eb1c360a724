#include "storage/rocksdb/layout.hpp"

#include "storage/rocksdb/crc32c.hpp"
#include "storage/store.hpp"

namespace gridmq::storage::rocks {
namespace {

constexpr std::size_t kCrcSize = 4;

// ---- writing ----

void put_u8(std::string& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}

// One append per field (not one push_back per byte): the encoders run for every stored change.
template <typename T>
void put_le(std::string& out, T v) {
  auto u = static_cast<std::uint64_t>(v);
  char b[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((u >> (8 * i)) & 0xFFu);
  out.append(b, sizeof(T));
}

void put_be64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * (7 - i))) & 0xFFu);
  out.append(b, 8);
}

void put_str(std::string& out, std::string_view s) {
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

void begin(std::string& out, std::uint8_t version = kRecordVersion) {
  out.clear();
  put_u8(out, version);
}

void seal(std::string& out) {
  put_le<std::uint32_t>(out, crc32c(out));
}

std::uint64_t get_be64(std::string_view b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(b[i]);
  }
  return v;
}

// ---- reading ----

/// Reads fields off a payload; the first failure sticks and names the field.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}

  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }
  void fail(std::string why) {
    if (ok()) why_ = std::move(why);
  }

  std::uint8_t u8(const char* field) {
    std::uint8_t v = 0;
    if (need(1, field)) v = static_cast<std::uint8_t>(b_[pos_++]);
    return v;
  }
  template <typename T>
  T le(const char* field) {
    std::uint64_t u = 0;
    if (need(sizeof(T), field)) {
      for (std::size_t i = 0; i < sizeof(T); ++i) {
        u |= static_cast<std::uint64_t>(static_cast<unsigned char>(b_[pos_ + i])) << (8 * i);
      }
      pos_ += sizeof(T);
    }
    return static_cast<T>(u);
  }
  std::string str(const char* field) {
    auto n = le<std::uint32_t>(field);
    std::string s;
    if (need(n, field)) {
      s.assign(b_.substr(pos_, n));
      pos_ += n;
    }
    return s;
  }
  /// A list count, checked against what is left (each item takes at least `min_item` bytes) so a
  /// corrupt count cannot make the decoder allocate gigabytes.
  std::uint32_t count(const char* field, std::size_t min_item) {
    auto n = le<std::uint32_t>(field);
    if (ok() && static_cast<std::uint64_t>(n) * min_item > b_.size() - pos_) {
      fail(std::string("truncated ") + field);
      return 0;
    }
    return n;
  }
  void qos(std::uint8_t v, const char* field) {
    if (v > 2) fail(std::string(field) + " out of range: " + std::to_string(v));
  }
  void reserved_zero(std::uint8_t bits, std::uint8_t allowed, const char* field) {
    if ((bits & ~allowed) != 0) fail(std::string("reserved bits set in ") + field);
  }
  bool finish() {
    if (ok() && pos_ != b_.size()) fail(std::to_string(b_.size() - pos_) + " trailing bytes");
    return ok();
  }

 private:
  bool need(std::size_t n, const char* field) {
    if (!ok()) return false;
    if (b_.size() - pos_ < n) {
      fail(std::string("truncated ") + field);
      return false;
    }
    return true;
  }

  std::string_view b_;
  std::size_t pos_ = 0;
  std::string why_;
};

/// Verifies size, checksum and version (1 to `newest`); on success `payload` is the bytes
/// between them and `version` the record version.
bool open_envelope(std::string_view value, std::string_view& payload, std::string& why,
                   std::uint8_t* version_out = nullptr, std::uint8_t newest = kRecordVersion) {
  if (value.size() < 1 + kCrcSize) {
    why = "value too short (" + std::to_string(value.size()) + " bytes)";
    return false;
  }
  auto body = value.substr(0, value.size() - kCrcSize);
  Reader crc_reader(value.substr(body.size()));
  auto stored = crc_reader.le<std::uint32_t>("crc");
  if (stored != crc32c(body)) {
    why = "checksum mismatch";
    return false;
  }
  auto version = static_cast<std::uint8_t>(body[0]);
  if (version < 1 || version > newest) {
    why = "unsupported record version " + std::to_string(version);
    return false;
  }
  if (version_out) *version_out = version;
  payload = body.substr(1);
  return true;
}

bool done(Reader& r, std::string& why) {
  if (r.finish()) return true;
  why = r.why();
  return false;
}

}  // namespace

// ---- keys ----

void append_queue_key(std::string& out, std::string_view client_id, std::uint64_t seq) {
  out.append(client_id);
  out.push_back('\0');
  put_be64(out, seq);
}

std::string queue_key(std::string_view client_id, std::uint64_t seq) {
  std::string k;
  k.reserve(client_id.size() + 9);
  append_queue_key(k, client_id, seq);
  return k;
}

std::string queue_range_begin(std::string_view client_id) {
  std::string k(client_id);
  k.push_back('\0');
  return k;
}

std::string queue_range_end(std::string_view client_id) {
  std::string k(client_id);
  k.push_back('\x01');
  return k;
}

bool parse_queue_key(std::string_view key, std::string_view& client_id, std::uint64_t& seq) {
  if (key.size() < 9 || key[key.size() - 9] != '\0') return false;
  client_id = key.substr(0, key.size() - 9);
  if (client_id.find('\0') != std::string_view::npos) return false;
  seq = get_be64(key.substr(key.size() - 8));
  return true;
}

void append_message_key(std::string& out, MessageId id) {
  put_be64(out, id);
}

std::string message_key(MessageId id) {
  std::string k;
  k.reserve(8);
  append_message_key(k, id);
  return k;
}

bool parse_message_key(std::string_view key, MessageId& id) {
  if (key.size() != 8) return false;
  id = get_be64(key);
  return true;
}

std::string plugin_key(std::string_view plugin, std::string_view key) {
  return Batch::plugin_record_key(plugin, key);
}

bool parse_plugin_key(std::string_view key, std::string_view& plugin, std::string_view& pkey) {
  auto zero = key.find('\0');
  if (zero == std::string_view::npos) return false;
  plugin = key.substr(0, zero);
  pkey = key.substr(zero + 1);
  return true;
}

std::string quarantine_key(Cf from, std::string_view key) {
  std::string k(cf_name(from));
  k.push_back('\0');
  k.append(key);
  return k;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

// ---- values ----

void encode_session(const StoredSession& s, std::string& out) {
  begin(out);
  put_str(out, s.client_id);
  put_u8(out, s.protocol_version);
  put_le<std::uint32_t>(out, s.expiry_interval);
  put_le<std::int64_t>(out, s.disconnected_at);
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(s.subscriptions.size()));
  for (const auto& sub : s.subscriptions) {
    put_str(out, sub.filter);
    put_u8(out, sub.qos);
    put_u8(out, static_cast<std::uint8_t>((sub.no_local ? 1u : 0u) |
                                          (sub.retain_as_published ? 2u : 0u) |
                                          ((sub.retain_handling & 3u) << 2)));
    put_le<std::uint32_t>(out, sub.subscription_id);
  }
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(s.inbound_qos2.size()));
  for (auto id : s.inbound_qos2) put_le<std::uint16_t>(out, id);
  seal(out);
}

bool decode_session(std::string_view value, StoredSession& out, std::string& why) {
  std::string_view payload;
  if (!open_envelope(value, payload, why)) return false;
  Reader r(payload);
  out.client_id = r.str("client_id");
  out.protocol_version = r.u8("protocol_version");
  out.expiry_interval = r.le<std::uint32_t>("expiry_interval");
  out.disconnected_at = r.le<std::int64_t>("disconnected_at");
  auto subs = r.count("subscriptions", 10);
  out.subscriptions.clear();
  out.subscriptions.reserve(subs);
  for (std::uint32_t i = 0; i < subs && r.ok(); ++i) {
    StoredSubscription sub;
    sub.filter = r.str("subscription filter");
    sub.qos = r.u8("subscription qos");
    r.qos(sub.qos, "subscription qos");
    auto options = r.u8("subscription options");
    r.reserved_zero(options, 0x0F, "subscription options");
    sub.no_local = (options & 1u) != 0;
    sub.retain_as_published = (options & 2u) != 0;
    sub.retain_handling = static_cast<std::uint8_t>((options >> 2) & 3u);
    if (sub.retain_handling > 2) r.fail("retain_handling out of range");
    sub.subscription_id = r.le<std::uint32_t>("subscription_id");
    out.subscriptions.push_back(std::move(sub));
  }
  auto ids = r.count("inbound_qos2", 2);
  out.inbound_qos2.clear();
  out.inbound_qos2.reserve(ids);
  for (std::uint32_t i = 0; i < ids && r.ok(); ++i) {
    out.inbound_qos2.push_back(r.le<std::uint16_t>("inbound_qos2"));
  }
  return done(r, why);
}

void encode_queue_entry(const QueueEntry& e, std::string& out) {
  begin(out, kQueueEntryVersion);
  put_le<std::uint64_t>(out, e.seq);
  put_le<std::uint64_t>(out, e.message);
  put_u8(out, e.qos);
  put_u8(out, static_cast<std::uint8_t>((e.retain ? 1u : 0u) | (e.released ? 2u : 0u)));
  put_le<std::uint16_t>(out, e.packet_id);
  put_le<std::uint32_t>(out, static_cast<std::uint32_t>(e.subscription_ids.size()));
  for (auto id : e.subscription_ids) put_le<std::uint32_t>(out, id);
  put_le<std::uint64_t>(out, static_cast<std::uint64_t>(e.queued_at));
  seal(out);
}

bool decode_queue_entry(std::string_view value, QueueEntry& out, std::string& why) {
  std::string_view payload;
  std::uint8_t version = 0;
  if (!open_envelope(value, payload, why, &version, kQueueEntryVersion)) return false;
  Reader r(payload);
  out.seq = r.le<std::uint64_t>("seq");
  out.message = r.le<std::uint64_t>("message");
  out.qos = r.u8("qos");
  r.qos(out.qos, "qos");
  auto flags = r.u8("flags");
  r.reserved_zero(flags, 0x03, "flags");
  out.retain = (flags & 1u) != 0;
  out.released = (flags & 2u) != 0;
  out.packet_id = r.le<std::uint16_t>("packet_id");
  auto n = r.count("subscription_ids", 4);
  out.subscription_ids.clear();
  out.subscription_ids.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    out.subscription_ids.push_back(r.le<std::uint32_t>("subscription_ids"));
  }
  out.queued_at = version >= 2 ? static_cast<UnixMillis>(r.le<std::uint64_t>("queued_at")) : 0;
  if (r.ok() && out.message == 0) r.fail("message id 0");
  return done(r, why);
}

void encode_message(const StoredMessage& m, std::string& out) {
  begin(out);
  out.reserve(1 + 8 + 4 + m.topic.size() + 4 + m.payload.size() + 2 + 4 + m.properties.size() + 8 +
              kCrcSize);
  put_le<std::uint64_t>(out, m.id);
  put_str(out, m.topic);
  put_str(out, m.payload);
  put_u8(out, m.qos);
  put_u8(out, m.retain ? 1 : 0);
  put_str(out, m.properties);
  put_le<std::int64_t>(out, m.expires_at);
  seal(out);
}

bool decode_message(std::string_view value, StoredMessage& out, std::string& why) {
  std::string_view payload;
  if (!open_envelope(value, payload, why)) return false;
  Reader r(payload);
  out.id = r.le<std::uint64_t>("id");
  out.topic = r.str("topic");
  out.payload = r.str("payload");
  out.qos = r.u8("qos");
  r.qos(out.qos, "qos");
  auto flags = r.u8("flags");
  r.reserved_zero(flags, 0x01, "flags");
  out.retain = (flags & 1u) != 0;
  out.properties = r.str("properties");
  out.expires_at = r.le<std::int64_t>("expires_at");
  return done(r, why);
}

void encode_plugin_value(std::string_view value, std::string& out) {
  begin(out);
  put_str(out, value);
  seal(out);
}

bool decode_plugin_value(std::string_view value, std::string& out, std::string& why) {
  std::string_view payload;
  if (!open_envelope(value, payload, why)) return false;
  Reader r(payload);
  out = r.str("value");
  return done(r, why);
}

void encode_format(std::uint32_t format_version, std::string& out) {
  begin(out);
  put_le<std::uint32_t>(out, format_version);
  seal(out);
}

bool decode_format(std::string_view value, std::uint32_t& format_version, std::string& why) {
  std::string_view payload;
  if (!open_envelope(value, payload, why)) return false;
  Reader r(payload);
  format_version = r.le<std::uint32_t>("format version");
  return done(r, why);
}

void encode_max_message_id(MessageId id, std::string& out) {
  begin(out);
  put_le<std::uint64_t>(out, id);
  seal(out);
}

bool decode_max_message_id(std::string_view value, MessageId& id, std::string& why) {
  std::string_view payload;
  if (!open_envelope(value, payload, why)) return false;
  Reader r(payload);
  id = r.le<std::uint64_t>("max message id");
  return done(r, why);
}

}  // namespace gridmq::storage::rocks
