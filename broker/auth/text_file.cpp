#include "auth/text_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace gridmq::auth::detail {

bool read_text_file(const std::string& path, std::string_view what, std::string& text,
                    std::string& problem) {
  const auto fail = [&](int error) {
    problem = "cannot read " + std::string(what) + " '" + path +
              "': " + std::generic_category().message(error);
    return false;
  };
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  errno = 0;
  const std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return fail(errno != 0 ? errno : EIO);
  }
  text.clear();
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text.append(buffer, n);
  }
  if (std::ferror(file.get()) != 0) {
    return fail(errno != 0 ? errno : EIO);
  }
  return true;
}

std::vector<NumberedLine> split_lines(std::string_view text) {
  std::vector<NumberedLine> lines;
  std::uint32_t number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    lines.push_back({++number, text.substr(at, end - at)});
    at = end + 1;
  }
  return lines;
}

bool is_blank_or_comment(std::string_view line) {
  const auto first = line.find_first_not_of(kBlank);
  return first == std::string_view::npos || line[first] == '#';
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (true) {
    at = line.find_first_not_of(kBlank, at);
    if (at == std::string_view::npos) {
      break;
    }
    const std::size_t end = std::min(line.find_first_of(kBlank, at), line.size());
    fields.push_back(line.substr(at, end - at));
    at = end;
  }
  return fields;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(kBlank);
  return text.substr(first, last - first + 1);
}

}  // namespace gridmq::auth::detail
