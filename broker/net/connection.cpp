#include "net/connection.hpp"

#include <spdlog/logger.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "net/worker.hpp"
#include "protocol/codec.hpp"

namespace gridmq::net {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kReadChunk = 16 * 1024;
}

Connection::Connection(Worker& worker, asio::ip::tcp::socket socket, session::BrokerCore& core,
                       spdlog::logger& log)
    : worker_(worker),
      socket_(std::move(socket)),
      timer_(worker.context()),
      core_(core),
      log_(log) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Connection::~Connection() = default;

void Connection::start() {
  handler_.emplace(core_, weak_from_this(), remote_, Clock::now());
  in_.resize(kReadChunk);
  arm_timer();
  read();
}

void Connection::read() {
  if (closed_ || handler_->closing()) return;
  if (in_.size() - in_used_ < kReadChunk / 4) in_.resize(in_used_ + kReadChunk);
  socket_.async_read_some(
      asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (ec) {
          if (!self->closed_) {
            self->handler_->on_transport_closed(Clock::now());
            self->close();
          }
          return;
        }
        self->on_read(n);
      });
}

void Connection::on_read(std::size_t n) {
  in_used_ += n;
  process_input();
  flush();
  read();
}

void Connection::process_input() {
  const auto now = Clock::now();
  const auto max_size = core_.config().mqtt.max_packet_size;
  std::size_t pos = 0;
  while (!handler_->closing()) {
    protocol::Bytes avail(in_.data() + pos, in_used_ - pos);
    auto header = protocol::parse_fixed_header(avail);
    if (!header) {
      handler_->on_protocol_error(header.error().code, header.error().what);
      break;
    }
    if (!*header) break;  // need more bytes
    const auto& h = **header;
    if (h.total_length() > std::size_t{max_size} + 5) {
      handler_->on_packet_too_large(now);
      break;
    }
    if (avail.size() < h.total_length()) {
      if (in_.size() < in_used_ - pos + h.total_length()) in_.resize(h.total_length() + kReadChunk);
      break;
    }
    handler_->on_packet(avail.first(h.total_length()), now);
    pos += h.total_length();
  }
  if (pos > 0) {
    std::memmove(in_.data(), in_.data() + pos, in_used_ - pos);
    in_used_ -= pos;
  }
  if (in_used_ == 0 && in_.size() > 4 * kReadChunk) {
    in_.resize(kReadChunk);
    in_.shrink_to_fit();  // an idle connection keeps a small buffer after a large packet
  }
  arm_timer();
}

void Connection::flush() {
  if (closed_ || writing_) return;
  auto& out = handler_->out();
  if (out.empty()) {
    if (handler_->closing()) {
      handler_->on_transport_closed(Clock::now());
      close();
    }
    return;
  }
  writing_buf_.clear();
  writing_buf_.swap(out);
  writing_ = true;
  handler_->set_unsent_bytes(writing_buf_.size());
  asio::async_write(socket_, asio::buffer(writing_buf_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      self->handler_->set_unsent_bytes(0);
                      if (ec) {
                        if (!self->closed_) {
                          self->handler_->on_transport_closed(Clock::now());
                          self->close();
                        }
                        return;
                      }
                      if (self->writing_buf_.capacity() > 1024 * 1024) {
                        std::string().swap(self->writing_buf_);
                      }
                      self->handler_->on_wake(Clock::now());
                      self->flush();
                    });
}

void Connection::arm_timer() {
  if (closed_) return;
  const auto deadline = handler_->deadline();
  if (deadline == armed_for_) return;
  if (deadline == Clock::time_point::max()) {
    timer_.cancel();
    armed_for_ = deadline;
    return;
  }
  // A deadline that moved later keeps the earlier timer: it re-arms itself when it fires.
  if (armed_for_ != Clock::time_point{} && armed_for_ != Clock::time_point::max() &&
      armed_for_ < deadline)
    return;
  armed_for_ = deadline;
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_) return;
    self->armed_for_ = {};
    self->handler_->on_timer(Clock::now());
    self->flush();
    self->arm_timer();
  });
}

void Connection::wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(worker_.context(), [self = shared_from_this()] {
    self->wake_pending_.store(false, std::memory_order_release);
    if (self->closed_) return;
    self->handler_->on_wake(Clock::now());
    self->flush();
  });
}

void Connection::kick(protocol::ReasonCode reason) {
  asio::post(worker_.context(), [self = shared_from_this(), reason] {
    if (self->closed_) return;
    self->handler_->on_kick(reason, Clock::now());
    self->flush();
  });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  timer_.cancel();
  log_.debug("connection {} closed (client '{}')", remote_, handler_->client_id());
  worker_.connections().erase(shared_from_this());
}

}  // namespace gridmq::net
