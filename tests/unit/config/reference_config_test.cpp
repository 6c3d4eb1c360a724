// config/gridmq.toml, the annotated reference, must list every known key at its default.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "config/load.hpp"
#include "config/schema.hpp"
#include "config_test_util.hpp"

namespace gridmq::config {
namespace {

std::string reference_path() {
  return (test::source_root() / "config" / "gridmq.toml").string();
}

std::string read_reference() {
  std::ifstream in(reference_path());
  EXPECT_TRUE(in) << "cannot open " << reference_path();
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A commented-out key line: "# key = value" or "# [[listener]]". Prose lines never look like this.
const std::regex kCommentedKey(R"(^# ([a-z0-9_]+ = .*|\[\[[a-z0-9_]+\]\])$)");

/// The reference with every commented-out key line uncommented.
std::string uncommented(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    out += std::regex_match(line, kCommentedKey) ? line.substr(2) : line;
    out += '\n';
  }
  return out;
}

TEST(ReferenceConfig, AsShippedGivesDefaults) {
  EXPECT_EQ(load_config_file(reference_path()), BrokerConfig{});
}

TEST(ReferenceConfig, EveryKeyUncommentedGivesDefaults) {
  const std::string text = uncommented(read_reference());
  const BrokerConfig config = parse_config(text, "gridmq.toml (uncommented)");
  EXPECT_EQ(config, BrokerConfig{});
  // Field by field too, so a failure says which one drifted.
  EXPECT_EQ(config.listeners, BrokerConfig{}.listeners);
  EXPECT_EQ(config.mqtt, MqttLimits{});
  EXPECT_EQ(config.limits, Limits{});
  EXPECT_EQ(config.auth, Acl{});
  EXPECT_EQ(config.identity, Identity{});
  EXPECT_EQ(config.log, Log{});
  EXPECT_EQ(config.threads, BrokerConfig{}.threads);
  EXPECT_EQ(config.data_dir, BrokerConfig{}.data_dir);
}

TEST(ReferenceConfig, ListsEveryKnownKeyOnceWithAParagraph) {
  std::istringstream in(uncommented(read_reference()));
  const std::regex header(R"(^\[\[?([a-z0-9_]+)\]\]?$)");
  const std::regex key_line(R"(^([a-z0-9_]+) = .*$)");
  std::string table;
  std::string previous;
  std::multiset<std::string> seen;
  for (std::string line; std::getline(in, line); previous = line) {
    std::smatch match;
    if (std::regex_match(line, match, header)) {
      table = match[1];
    } else if (std::regex_match(line, match, key_line)) {
      const std::string name = table + "." + std::string(match[1]);
      seen.insert(name);
      const bool documented = previous.starts_with("# ") || previous.starts_with("[[");
      EXPECT_TRUE(documented) << name << " has no paragraph above it";
    }
  }
  for (const KeySpec& spec : known_keys()) {
    EXPECT_EQ(seen.count(std::string(spec.name)), 1u) << spec.name;
  }
  EXPECT_EQ(seen.size(), known_keys().size()) << "the reference lists keys the schema lacks";
}

}  // namespace
}  // namespace gridmq::config
