#pragma once
// Helpers shared by the config tests.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/load.hpp"

namespace gridmq::config::test {

/// The message of the ConfigError that parsing `text` as "test.toml" throws ("" if none).
inline std::string parse_error(std::string_view text) {
  try {
    parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// A file in the temp directory, unique to this process and test, removed at the end.
class TempFile {
 public:
  TempFile(std::string_view name, std::string_view content) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("gridmq-" + std::to_string(::getpid()) + "-" + info->name() + "-" + std::string(name));
    std::ofstream(path_) << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// The repository root (GRIDMQ_SOURCE_DIR comes from tests/CMakeLists.txt; __FILE__ is not
/// reliable: ccache base_dir or -ffile-prefix-map make it relative).
inline std::filesystem::path source_root() {
  return GRIDMQ_SOURCE_DIR;
}

}  // namespace gridmq::config::test
