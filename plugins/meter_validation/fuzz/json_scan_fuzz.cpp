// libFuzzer harness for the meter_validation JSON scanner, which reads untrusted meter payloads on
// the data path. Differential: JsonScan must accept exactly the texts nlohmann::json accepts,
// except documents nested deeper than JsonScan::kMaxDepth, which it must refuse, and numbers too
// large for a double (nlohmann refuses them; the grammar allows them). For accepted
// texts every node is walked and every string and number read back, under ASan and UBSan.
// Texts with a NUL byte or a leading byte order mark must be refused (nlohmann stops reading at a
// NUL and skips a BOM, so it is no reference for them).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "plugins/meter_validation/json_scan.hpp"

namespace mv = gridmq::plugins::meter_validation;

namespace {

void fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "fuzz_json_scan: %s for input of %zu bytes\n", what, text.size());
  std::abort();
}

/// Containers enclosing the most deeply nested value (a scalar or an empty container: 0).
int levels(const nlohmann::json& j) {
  if (!j.is_structured() || j.empty()) return 0;
  int deepest = 0;
  for (const auto& child : j) deepest = std::max(deepest, levels(child));
  return deepest + 1;
}

enum class Reference { kValid, kInvalid, kNumberOverflow };

/// nlohmann's verdict; `depth` = levels() of a valid document.
Reference reference(std::string_view text, int& depth) {
  try {
    depth = levels(nlohmann::json::parse(text.begin(), text.end()));
    return Reference::kValid;
  } catch (const nlohmann::json::out_of_range&) {
    return Reference::kNumberOverflow;  // 406: a number too large for a double
  } catch (const nlohmann::json::exception&) {
    return Reference::kInvalid;
  }
}

void walk(const mv::JsonScan& scan, std::string_view text) {
  std::string scratch;
  const std::uint32_t end = scan.next(0);
  for (std::uint32_t i = 0; i < end; ++i) {
    const auto& n = scan.node(i);
    if (n.begin > n.end || n.end > text.size()) fail("node outside the text", text);
    if (n.next <= i || n.next > end) fail("node's next out of order", text);
    if (scan.type(i) == mv::JsonScan::Type::kString) {
      (void)scan.str(i, scratch);
    } else if (scan.type(i) == mv::JsonScan::Type::kNumber) {
      std::int64_t s = 0;
      std::uint64_t u = 0;
      double d = 0;
      (void)scan.int64(i, s);
      (void)scan.uint64(i, u);
      (void)scan.number(i, d);
    } else if (scan.type(i) == mv::JsonScan::Type::kObject) {
      (void)scan.find(i, "v");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mv::JsonScan scan;
  const bool scanned = scan.parse(text);
  if (text.find('\0') != std::string_view::npos) {
    // A NUL byte is never valid JSON (not whitespace; inside a string an unescaped control
    // character), but nlohmann's lexer takes it for the end of the input: no reference here.
    if (scanned) fail("accepted a NUL byte", text);
    return 0;
  }
  if (text.starts_with("\xEF\xBB\xBF")) {
    // RFC 8259 §8.1 lets a parser ignore a leading byte order mark; nlohmann does, JsonScan
    // refuses it (meters must not send one).
    if (scanned) fail("accepted a byte order mark", text);
    return 0;
  }
  int depth = 0;
  switch (reference(text, depth)) {
    case Reference::kValid:
      if (scanned != (depth <= mv::JsonScan::kMaxDepth)) {
        fail(scanned ? "accepted a document nested too deeply" : "refused valid JSON", text);
      }
      break;
    case Reference::kInvalid:
      if (scanned) fail("accepted invalid JSON", text);
      break;
    case Reference::kNumberOverflow:
      break;  // valid grammar, a number beyond double's range: either answer is acceptable
  }
  if (scanned) walk(scan, text);
  return 0;
}
