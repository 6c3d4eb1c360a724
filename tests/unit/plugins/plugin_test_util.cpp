#include "plugin_test_util.hpp"

#include <cstdio>
#include <ctime>

namespace gridmq::plugins::test {

std::string ts_at(std::int64_t seconds_from_now) {
  const std::time_t t = static_cast<std::time_t>(kNow / 1000 + seconds_from_now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string reading(std::string_view meter, std::uint64_t seq, const std::string& ts,
                    std::int64_t import_wh, std::string_view unit) {
  return "{\"v\":1,\"meter\":\"" + std::string(meter) + "\",\"seq\":" + std::to_string(seq) +
         ",\"ts\":\"" + ts +
         "\",\"regs\":[{\"obis\":\"1-0:1.8.0\",\"val\":" + std::to_string(import_wh) +
         ",\"unit\":\"" + std::string(unit) + "\"}],\"q\":\"ok\"}";
}

std::string example_reading() {
  return R"({"v":1,"meter":"1EMH0012345678","seq":48213,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1-0:1.8.0","val":12345678,"unit":"Wh"},)"
         R"({"obis":"1-0:2.8.0","val":4321,"unit":"Wh"},{"obis":"1-0:3.8.0","val":234567,"unit":"varh"},{"obis":"1-0:4.8.0","val":1200,"unit":"varh"}],"q":"ok"})";
}

config::PluginSection section(std::string_view toml) {
  auto cfg = config::parse_config(toml, "gridmq.toml");
  return cfg.plugins.at(0);
}

}  // namespace gridmq::plugins::test
