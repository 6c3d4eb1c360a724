#include "client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <span>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "protocol/codec.hpp"

namespace gridmq::bench {

namespace asio = boost::asio;
namespace pr = gridmq::protocol;
using boost::system::error_code;

namespace {
constexpr std::size_t kInitialRead = 2048;          // idle connections stay small
constexpr std::size_t kMaxReadBuffer = 1 << 20;     // grows while reads fill it
constexpr std::uint16_t kMaxWindow = 60000;         // QoS 1 ids 1..60000
constexpr std::uint16_t kFirstSubscribeId = 60001;  // SUBSCRIBE ids 60001..65535
}  // namespace

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

Client::Client(asio::io_context& io, ClientConfig cfg, ClientHandlers handlers)
    : io_(io), cfg_(std::move(cfg)), h_(std::move(handlers)), socket_(io), keepalive_(io) {
  next_sub_id_ = kFirstSubscribeId;
}

Client::~Client() = default;

void Client::start() {
  state_ = State::kConnecting;
  error_code ec;
  const auto proto = cfg_.broker.protocol();
  socket_.open(proto, ec);
  if (!ec && cfg_.source) {
#ifdef IP_BIND_ADDRESS_NO_PORT
    // Let connect() pick the port per destination instead of bind() reserving it globally.
    int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    socket_.bind(asio::ip::tcp::endpoint(*cfg_.source, 0), ec);
  }
  if (ec) {
    auto self = shared_from_this();
    asio::post(io_, [self, ec] { self->finish_connect(ec, pr::ReasonCode::kUnspecifiedError); });
    return;
  }
  socket_.async_connect(cfg_.broker, [self = shared_from_this()](const error_code& e) {
    if (e) {
      self->finish_connect(e, pr::ReasonCode::kUnspecifiedError);
      return;
    }
    error_code ignored;
    self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    self->send_connect();
    self->read();
  });
}

void Client::send_connect() {
  pr::Connect c;
  c.version = cfg_.version;
  c.client_id = cfg_.client_id;
  c.clean_start = cfg_.clean_start;
  c.keep_alive = cfg_.keep_alive_s;
  if (cfg_.version == pr::Version::kV5) {
    c.props.receive_maximum = 65535;
    if (!cfg_.clean_start && cfg_.session_expiry_s > 0) {
      c.props.session_expiry_interval = cfg_.session_expiry_s;
    }
  }
  pr::encode(pr::Packet{std::move(c)}, cfg_.version, out_);
  queue_flush();
}

void Client::finish_connect(const error_code& ec, pr::ReasonCode reason) {
  if (connect_reported_) return;
  connect_reported_ = true;
  if (ec || reason != pr::ReasonCode::kSuccess) {
    state_ = State::kClosed;
    error_code ignored;
    socket_.close(ignored);
    keepalive_.cancel();
  }
  if (h_.on_connect) h_.on_connect(ec, reason);
}

void Client::subscribe(std::string_view filter, std::uint8_t qos) {
  pr::Subscribe s;
  s.packet_id = next_sub_id_;
  next_sub_id_ =
      next_sub_id_ == 65535 ? kFirstSubscribeId : static_cast<std::uint16_t>(next_sub_id_ + 1);
  pr::SubscribeEntry e;
  e.filter = std::string(filter);
  e.qos = qos;
  s.entries.push_back(std::move(e));
  pr::encode(pr::Packet{std::move(s)}, cfg_.version, out_);
  queue_flush();
}

bool Client::publish(std::string_view topic, std::string_view payload, std::uint8_t qos,
                     std::uint64_t stamp) {
  if (state_ != State::kConnected) return false;
  std::uint16_t id = 0;
  if (qos > 0) {
    if (free_slots_.empty()) return false;
    const std::uint16_t slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = Slot{stamp, true};
    ++inflight_;
    id = static_cast<std::uint16_t>(slot + 1);
  }
  pr::encode_publish(cfg_.version, topic, payload, qos, false, false, id, nullptr, out_);
  queue_flush();
  return true;
}

void Client::disconnect() {
  if (state_ != State::kConnected) {
    close();
    return;
  }
  state_ = State::kClosing;
  keepalive_.cancel();
  pr::encode(pr::Packet{pr::Disconnect{}}, cfg_.version, out_);
  close_after_write_ = true;
  queue_flush();
}

void Client::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  keepalive_.cancel();
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Client::abort() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  keepalive_.cancel();
  error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  socket_.close(ignored);
}

void Client::fail(const error_code& ec) {
  if (state_ == State::kConnecting) {
    finish_connect(ec ? ec : asio::error::connection_aborted, pr::ReasonCode::kUnspecifiedError);
    return;
  }
  const bool report = state_ == State::kConnected;
  close();
  if (report && h_.on_lost) h_.on_lost(ec);
}

void Client::queue_flush() {
  if (flush_posted_ || writing_now_) return;
  flush_posted_ = true;
  asio::post(io_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void Client::flush() {
  if (writing_now_ || out_.empty() || state_ == State::kClosed) return;
  writing_now_ = true;
  writing_.clear();
  writing_.swap(out_);
  last_send_ns_ = now_ns();
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      self->writing_now_ = false;
                      if (ec) {
                        self->fail(ec);
                        return;
                      }
                      if (!self->out_.empty()) {
                        self->flush();
                      } else if (self->close_after_write_) {
                        self->close();
                      }
                    });
}

void Client::read() {
  if (in_.empty()) in_.resize(kInitialRead);
  if (in_len_ == in_.size()) in_.resize(in_.size() * 2);
  socket_.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                          [self = shared_from_this()](const error_code& ec, std::size_t n) {
                            if (ec) {
                              if (self->state_ != State::kClosed) self->fail(ec);
                              return;
                            }
                            self->on_read(n);
                          });
}

void Client::on_read(std::size_t n) {
  // A read that filled the buffer means more is waiting: read bigger next time.
  if (in_len_ + n == in_.size() && in_.size() < kMaxReadBuffer) in_.resize(in_.size() * 2);
  in_len_ += n;
  std::size_t off = 0;
  while (off < in_len_ && state_ != State::kClosed) {
    auto fh =
        pr::parse_fixed_header(std::span<const std::uint8_t>(in_.data() + off, in_len_ - off));
    if (!fh.ok()) {
      fail(asio::error::invalid_argument);
      return;
    }
    if (!fh.value()) break;
    const std::size_t total = fh.value()->total_length();
    if (total > in_len_ - off) {
      if (total > in_.size()) in_.resize(total + kInitialRead);
      break;
    }
    if (!dispatch(in_.data() + off, total)) return;
    off += total;
  }
  if (state_ == State::kClosed) return;
  if (off > 0) {
    std::memmove(in_.data(), in_.data() + off, in_len_ - off);
    in_len_ -= off;
  }
  read();
}

bool Client::dispatch(const std::uint8_t* data, std::size_t len) {
  auto decoded = pr::decode_packet(std::span<const std::uint8_t>(data, len), cfg_.version);
  if (!decoded.ok()) {
    fail(asio::error::invalid_argument);
    return false;
  }
  pr::Packet& pkt = decoded.value();
  if (auto* p = std::get_if<pr::Publish>(&pkt)) {
    if (p->qos == 1) {
      pr::PubResponse ack;
      ack.packet_id = p->packet_id;
      pr::encode(pr::Packet{std::move(ack)}, cfg_.version, out_);
      queue_flush();
    }
    if (h_.on_message) h_.on_message(*p);
  } else if (auto* a = std::get_if<pr::PubResponse>(&pkt)) {
    if (a->type == pr::PacketType::kPuback && a->packet_id >= 1 && a->packet_id <= slots_.size()) {
      Slot& s = slots_[a->packet_id - 1];
      if (s.used) {
        s.used = false;
        --inflight_;
        free_slots_.push_back(static_cast<std::uint16_t>(a->packet_id - 1));
        if (h_.on_puback) h_.on_puback(s.stamp, a->reason);
      }
    }
  } else if (auto* c = std::get_if<pr::Connack>(&pkt)) {
    if (c->reason != pr::ReasonCode::kSuccess) {
      finish_connect({}, c->reason);
      return false;
    }
    std::size_t window = std::clamp<std::size_t>(cfg_.max_inflight, 1, kMaxWindow);
    if (c->props.receive_maximum) window = std::min<std::size_t>(window, *c->props.receive_maximum);
    slots_.assign(window, Slot{});
    free_slots_.clear();
    for (std::size_t i = window; i-- > 0;) free_slots_.push_back(static_cast<std::uint16_t>(i));
    state_ = State::kConnected;
    session_present_ = c->session_present;
    arm_keepalive();
    finish_connect({}, pr::ReasonCode::kSuccess);
  } else if (auto* s = std::get_if<pr::Suback>(&pkt)) {
    if (h_.on_suback) h_.on_suback(*s);
  } else if (std::holds_alternative<pr::Disconnect>(pkt)) {
    fail(asio::error::connection_reset);
    return false;
  }
  // PINGRESP and anything else: nothing to do.
  return true;
}

void Client::arm_keepalive() {
  if (cfg_.keep_alive_s == 0) return;
  // Check twice per keep-alive period; ping when nothing was sent for half of it.
  const auto half = std::chrono::milliseconds(cfg_.keep_alive_s * 500);
  keepalive_.expires_after(half);
  keepalive_.async_wait([self = weak_from_this(), half](const error_code& ec) {
    auto c = self.lock();
    if (ec || !c || c->state_ != State::kConnected) return;
    const auto idle_ns = now_ns() - c->last_send_ns_;
    if (idle_ns >= static_cast<std::uint64_t>(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(half).count()) -
                       1000000) {
      pr::encode(pr::Packet{pr::Pingreq{}}, c->cfg_.version, c->out_);
      c->queue_flush();
    }
    c->arm_keepalive();
  });
}

}  // namespace gridmq::bench
