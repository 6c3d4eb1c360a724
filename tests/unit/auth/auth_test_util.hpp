#pragma once
// Helpers shared by the auth tests.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace gridmq::auth::test {

/// A directory in the temp directory, unique to this process and test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("gridmq-auth-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" +
             info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The path of `name` inside the directory.
  std::string file(std::string_view name) const { return (path_ / name).string(); }

  /// Writes `content` to `name` and returns its path.
  std::string write(std::string_view name, std::string_view content) const {
    const std::string path = file(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The repository root (GRIDMQ_SOURCE_DIR comes from tests/CMakeLists.txt; __FILE__ is not
/// reliable: ccache base_dir or -ffile-prefix-map make it relative).
inline std::filesystem::path source_root() {
  return GRIDMQ_SOURCE_DIR;
}

}  // namespace gridmq::auth::test
