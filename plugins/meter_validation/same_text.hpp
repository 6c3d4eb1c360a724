#pragma once
// Equality of the short strings the data path compares (member names, OBIS codes, units, kinds,
// register keys): the lengths first, then the bytes in an inline loop. For a few bytes this is
// several times cheaper than the library's out-of-line memcmp call that operator== makes.

#include <cstddef>
#include <string_view>

namespace gridmq::plugins::meter_validation {

inline bool same_text(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace gridmq::plugins::meter_validation
