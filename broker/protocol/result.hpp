#pragma once
// Result<T>: a value or a protocol error. Data-path errors in gridmq are values, never exceptions.

#include <string>
#include <utility>
#include <variant>

#include "reason_code.hpp"

namespace gridmq::protocol {

/// A protocol error: the MQTT reason code the broker must answer with, and a short human reason.
struct Error {
  ReasonCode code = ReasonCode::kMalformedPacket;
  std::string what;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error err) : v_(std::move(err)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(ReasonCode code, std::string what) {
  return Error{code, std::move(what)};
}

}  // namespace gridmq::protocol
