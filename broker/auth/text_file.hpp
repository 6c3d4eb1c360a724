#pragma once
// Helpers for the line-oriented files of broker/auth (ACL policy, bindings, passwords).
// Internal to broker/auth.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::auth::detail {

/// Blanks that separate fields: space, tab, and a CR left by CRLF line ends.
inline constexpr std::string_view kBlank = " \t\r";

/// Reads the whole file into `text`. On failure returns false and sets `problem`
/// ("cannot read <what> '<path>': <reason>").
bool read_text_file(const std::string& path, std::string_view what, std::string& text,
                    std::string& problem);

/// The lines of `text` with 1-based numbers; a final line without '\n' counts, an empty final
/// piece after the last '\n' does not.
struct NumberedLine {
  std::uint32_t number = 0;
  std::string_view text;
};
std::vector<NumberedLine> split_lines(std::string_view text);

/// Whether a line is blank or a comment (first non-blank character '#').
bool is_blank_or_comment(std::string_view line);

/// The blank-separated fields of a line.
std::vector<std::string_view> split_fields(std::string_view line);

/// `text` without leading and trailing blanks.
std::string_view trim(std::string_view text);

}  // namespace gridmq::auth::detail
