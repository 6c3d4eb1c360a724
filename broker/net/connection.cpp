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

Connection::Connection(Worker& worker, Socket socket, session::BrokerCore& core)
    : worker_(worker), socket_(std::move(socket)), handler_(core, *this, Clock::now()) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Connection::~Connection() {
  worker_.unlink(this);
}

spdlog::logger& Connection::log() const {
  return worker_.log();
}

void Connection::start() {
  worker_.link(this);
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  read();
}

void Connection::read() {
  if (closed_ || reading_ || handler_.closing()) return;
  if (writing_ && handler_.out().size() + buffers_->writing.size() >
                      handler_.core().config().limits.max_output_buffer) {
    read_paused_ = true;  // the peer does not read what we send: stop reading what it sends
    return;
  }
  reading_ = true;
  socket_.async_wait(read_wait(), [self = shared_from_this()](const boost::system::error_code& ec) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) {
      self->handler_.on_transport_closed(Clock::now());
      self->close();
      return;
    }
    self->on_readable();
  });
}

void Connection::on_readable() {
  auto& scratch = worker_.scratch();
  // A few reads per wake-up at most, so one busy client cannot hold the worker.
  for (int round = 0; round < 4 && !handler_.closing(); ++round) {
    boost::system::error_code ec;
    bool more = false;
    const std::size_t n = read_some(scratch, more, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      flush();
      if (!closed_) {
        handler_.on_transport_closed(Clock::now());
        close();
      }
      return;
    }
    const auto tail = [&](protocol::Bytes data, std::size_t used) {
      if (used < data.size()) {
        std::vector<std::uint8_t> rest(data.begin() + static_cast<std::ptrdiff_t>(used),
                                       data.end());
        buffers().partial.swap(rest);
      } else if (buffers_) {
        std::vector<std::uint8_t>().swap(buffers_->partial);  // frees it
      }
    };
    if (!buffers_ || buffers_->partial.empty()) {
      protocol::Bytes data(scratch.data(), n);
      tail(data, process_input(data));
    } else {
      auto& partial = buffers_->partial;
      partial.insert(partial.end(), scratch.begin(),
                     scratch.begin() + static_cast<std::ptrdiff_t>(n));
      protocol::Bytes data(partial.data(), partial.size());
      tail(data, process_input(data));
    }
    if (!more) break;
  }
  flush();
  read();
}

std::size_t Connection::read_some(std::span<std::uint8_t> buf, bool& more,
                                  boost::system::error_code& ec) {
  const std::size_t n = socket_.read_some(asio::buffer(buf.data(), buf.size()), ec);
  more = n == buf.size();
  return n;
}

std::size_t Connection::process_input(protocol::Bytes data) {
  const auto now = Clock::now();
  const auto max_size = handler_.core().config().mqtt.max_packet_size;
  std::size_t pos = 0;
  while (!handler_.closing()) {
    protocol::Bytes avail = data.subspan(pos);
    auto header = protocol::parse_fixed_header(avail);
    if (!header) {
      handler_.on_protocol_error(header.error().code, header.error().what);
      break;
    }
    if (!*header) break;  // need more bytes
    const auto& h = **header;
    if (h.total_length() > std::size_t{max_size}) {
      handler_.on_packet_too_large(now);
      break;
    }
    if (avail.size() < h.total_length()) break;
    handler_.on_packet(avail.first(h.total_length()), now);
    pos += h.total_length();
  }
  return handler_.closing() ? data.size() : pos;
}

void Connection::flush() {
  if (closed_ || writing_) return;
  auto& out = handler_.out();
  if (out.empty()) {
    if (handler_.closing()) {
      handler_.on_transport_closed(Clock::now());
      close();
    }
    return;
  }
  auto& writing = buffers().writing;
  writing.clear();
  writing.swap(out);
  writing_ = true;
  handler_.set_unsent_bytes(writing.size());
  write_out();
}

void Connection::write_out() {
  asio::async_write(socket_, asio::buffer(buffers_->writing),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->on_written(ec);
                    });
}

void Connection::on_written(const boost::system::error_code& ec) {
  writing_ = false;
  handler_.set_unsent_bytes(0);
  if (ec) {
    if (!closed_) {
      handler_.on_transport_closed(Clock::now());
      close();
    }
    return;
  }
  if (buffers_->writing.capacity() > 4096) std::string().swap(buffers_->writing);
  handler_.on_wake(Clock::now());
  flush();
  if (read_paused_ && !writing_) {
    read_paused_ = false;
    read();
  }
}

void Connection::release_idle_buffers() {
  if (!writing_ && buffers_ && buffers_->partial.empty()) buffers_.reset();
}

void Connection::on_deadline(Clock::time_point now) {
  if (closed_) return;
  handler_.on_timer(now);
  flush();
}

void Connection::wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(worker_.context(), [self = shared_from_this()] {
    self->wake_pending_.store(false, std::memory_order_release);
    if (self->closed_) return;
    self->handler_.on_wake(Clock::now());
    self->flush();
  });
}

void Connection::run_on_worker(std::function<void()> fn) {
  worker_.run_soon(shared_from_this(), std::move(fn));
}

void Connection::kick(protocol::ReasonCode reason) {
  asio::post(worker_.context(), [self = shared_from_this(), reason] {
    if (self->closed_) return;
    self->handler_.on_kick(reason, Clock::now());
    self->flush();
  });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  log().debug("connection closed (client '{}')", handler_.client_id());
  worker_.unlink(this);
}

}  // namespace gridmq::net
