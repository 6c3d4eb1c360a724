#include "options.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace gridmq::bench {

namespace {

template <class T>
T number(std::string_view flag, std::string_view v) {
  T out{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size()) {
    throw std::invalid_argument(std::string(flag) + ": not a number: '" + std::string(v) + "'");
  }
  return out;
}

double real(std::string_view flag, const std::string& v) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || d < 0) {
    throw std::invalid_argument(std::string(flag) + ": not a non-negative number: '" + v + "'");
  }
  return d;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    const auto end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void require_loopback(const std::string& what, const std::string& ip) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(ip, ec);
  if (ec || !a.is_loopback()) {
    throw std::invalid_argument(what + " must be a loopback address (127.0.0.0/8 or ::1): '" + ip +
                                "'");
  }
}

}  // namespace

std::string usage() {
  return R"(usage: gridmq-bench <fanin|idle|connect|burst|storm|broadcast|fanout> [options]
       gridmq-bench capacity --from RESULT.json ... [options]   (gridmq-bench capacity --help)
  --host IP              broker address (loopback only)               [127.0.0.1]
  --port N               broker port                                  [1883]
  --clients N            publishers (fanin), connections (idle, connect), meters
                         (burst, storm, broadcast), subscribers (fanout) [100]
  --subscribers N        fanin subscribers on mtr/v1/<tenant>/+/up/reading [1]
  --qos 0|1              publish and subscribe QoS                    [0]
  --rate R               total msg/s; 0 = as fast as the window allows [0]
  --inflight W           per-publisher window (QoS1 PUBACKs and end to end);
                         0 = 16 when --rate 0, 1000 otherwise          [0]
  --duration S           fanin: measured window; idle: hold time      [10]
  --warmup S             fanin: load before the measured window       [2]
  --drain S              max wait for outstanding messages (fanin, fanout,
                         burst, storm, broadcast)                     [10]
  --payload-size B       reading payload bytes (>= 130)               [277]
  --version 4|5          MQTT 3.1.1 or 5.0                            [4]
  --broker-pid PID[,..]  broker process: VmRSS (idle, connect; summed over a list),
                         CPU time (fanin, fanout, burst), liveness (all)
  --ports P1,P2,...      idle/connect: spread connections round-robin over several
                         brokers (one broker process holds < its open-file limit)
  --processes P          idle/connect/burst/storm/broadcast: fork P workers,
                         N/P connections each                         [1]
  --threads T            io threads per process                       [2]
  --connect-concurrency C connects in flight per process              [256]
  --connect-timeout S    max time to get all connections up           [60]
  --keepalive S          MQTT keep-alive                              [60]
  --tenant T             topic tenant                                 [t1]
  --client-prefix P      client id prefix                             [gbench]
  --source-ips A,B,...   local addresses to connect from (round-robin) [127.0.0.1]
  --subscribers N        fanin/burst: subscribers on mtr/v1/<tenant>/+/up/reading
  --window W             burst: every meter publishes once within W s [10]
  --spread uniform|none  burst: evenly over the window, or all at once [uniform]
  --backlog M            storm: QoS 1 messages queued per meter while away [10]
  --backoff-base S       storm: first back-off ceiling                [0.5]
  --backoff-max S        storm: largest back-off ceiling              [8]
  --jitter J             storm: 1 = full jitter, 0 = none             [1]
  --attempt-timeout S    storm: one reconnect attempt, connect to CONNACK [10]
  --settle S             storm: wait after the cut before the backlog [1]
  --restart-cmd CMD      storm: restart the broker with CMD (sh -c) instead of cutting
                         the sockets; the broker must listen on --port again
  --target meter|group   broadcast: one PUBLISH per meter cmd topic, or one to
                         ops/v1/<tenant>/grp/<group>/cmd that every meter subscribes [meter]
  --group G              broadcast: group name                        [bench]
  --persistent-subscribers
                         fanin: subscribers keep persistent sessions (clean start 0,
                         --session-expiry), so a durable broker stores every QoS 1/2 message
  --ack                  broadcast: meters publish .../cmd/ack; time until all acks
  --session-expiry S     MQTT 5 session expiry of persistent sessions [3600]
  --json FILE            write the full result (counters, histograms, summary) as JSON
  --quiet                no text table on stdout
)";
}

bool parse_options(int argc, char** argv, Options& o) {
  if (argc < 2) throw std::invalid_argument("missing scenario\n" + usage());
  std::string_view first = argv[1];
  if (first == "--help" || first == "-h") return false;
  o.scenario = argv[1];
  if (o.scenario != "fanin" && o.scenario != "idle" && o.scenario != "connect" &&
      o.scenario != "burst" && o.scenario != "storm" && o.scenario != "broadcast" &&
      o.scenario != "fanout") {
    throw std::invalid_argument("unknown scenario '" + o.scenario + "'\n" + usage());
  }
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return false;
    if (flag == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (flag == "--ack") {
      o.ack = true;
      continue;
    }
    if (flag == "--persistent-subscribers") {
      o.persistent_subscribers = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + ": missing value");
    const std::string v = argv[++i];
    if (flag == "--host")
      o.host = v;
    else if (flag == "--port")
      o.port = number<std::uint16_t>(flag, v);
    else if (flag == "--clients")
      o.clients = number<std::size_t>(flag, v);
    else if (flag == "--subscribers")
      o.subscribers = number<std::size_t>(flag, v);
    else if (flag == "--qos")
      o.qos = number<int>(flag, v);
    else if (flag == "--rate")
      o.rate = real(flag, v);
    else if (flag == "--inflight")
      o.inflight = number<std::size_t>(flag, v);
    else if (flag == "--duration")
      o.duration_s = real(flag, v);
    else if (flag == "--warmup")
      o.warmup_s = real(flag, v);
    else if (flag == "--drain")
      o.drain_s = real(flag, v);
    else if (flag == "--payload-size")
      o.payload_size = number<std::size_t>(flag, v);
    else if (flag == "--version")
      o.version = number<int>(flag, v);
    else if (flag == "--broker-pid") {
      o.broker_pids.clear();
      for (const auto& p : split(v)) o.broker_pids.push_back(number<long>(flag, p));
      o.broker_pid = o.broker_pids.empty() ? 0 : o.broker_pids.front();
    } else if (flag == "--ports") {
      o.ports.clear();
      for (const auto& p : split(v)) o.ports.push_back(number<std::uint16_t>(flag, p));
      if (!o.ports.empty()) o.port = o.ports.front();
    } else if (flag == "--processes")
      o.processes = number<int>(flag, v);
    else if (flag == "--threads")
      o.threads = number<int>(flag, v);
    else if (flag == "--connect-concurrency")
      o.connect_concurrency = number<std::size_t>(flag, v);
    else if (flag == "--connect-timeout")
      o.connect_timeout_s = real(flag, v);
    else if (flag == "--keepalive")
      o.keep_alive_s = number<std::uint16_t>(flag, v);
    else if (flag == "--tenant")
      o.tenant = v;
    else if (flag == "--client-prefix")
      o.client_prefix = v;
    else if (flag == "--source-ips")
      o.source_ips = split(v);
    else if (flag == "--json")
      o.json_out = v;
    else if (flag == "--window")
      o.window_s = real(flag, v);
    else if (flag == "--spread") {
      if (v != "uniform" && v != "none") throw std::invalid_argument("--spread uniform|none");
      o.spread = v == "uniform";
    } else if (flag == "--backlog")
      o.backlog = number<std::size_t>(flag, v);
    else if (flag == "--backoff-base")
      o.backoff_base_s = real(flag, v);
    else if (flag == "--backoff-max")
      o.backoff_max_s = real(flag, v);
    else if (flag == "--jitter")
      o.jitter = real(flag, v);
    else if (flag == "--attempt-timeout")
      o.attempt_timeout_s = real(flag, v);
    else if (flag == "--settle")
      o.settle_s = real(flag, v);
    else if (flag == "--restart-cmd")
      o.restart_cmd = v;
    else if (flag == "--target") {
      if (v != "meter" && v != "group") throw std::invalid_argument("--target meter|group");
      o.group_target = v == "group";
    } else if (flag == "--group")
      o.group = v;
    else if (flag == "--session-expiry")
      o.session_expiry_s = number<std::uint32_t>(flag, v);
    else
      throw std::invalid_argument("unknown option " + flag + "\n" + usage());
  }
  if (o.qos != 0 && o.qos != 1) throw std::invalid_argument("--qos must be 0 or 1");
  if (o.version != 4 && o.version != 5) throw std::invalid_argument("--version must be 4 or 5");
  if (o.processes < 1 || o.processes > 64) throw std::invalid_argument("--processes: 1..64");
  if (o.threads < 1 || o.threads > 64) throw std::invalid_argument("--threads: 1..64");
  if ((o.scenario == "fanin" || o.scenario == "fanout") && o.processes != 1) {
    throw std::invalid_argument(o.scenario + " runs in one process (--processes 1)");
  }
  if (o.window_s > 3600 || o.backoff_max_s > 600 || o.backoff_base_s > 600 ||
      o.attempt_timeout_s > 600 || o.settle_s > 600) {
    throw std::invalid_argument("--window <= 3600 s; back-off, attempt timeout, settle <= 600 s");
  }
  if (!o.ports.empty() && o.scenario != "idle" && o.scenario != "connect") {
    throw std::invalid_argument("--ports is for idle and connect");
  }
  if (o.jitter > 1) throw std::invalid_argument("--jitter must be in [0, 1]");
  if (o.backlog > 100000) throw std::invalid_argument("--backlog <= 100000");
  if (o.scenario == "storm" && o.backlog * o.clients > 50000000) {
    throw std::invalid_argument("storm: --backlog x --clients <= 50,000,000");
  }
  // Every load loop is bounded in time as well as count.
  if (o.duration_s > 3600 || o.warmup_s > 600 || o.drain_s > 600 || o.connect_timeout_s > 600) {
    throw std::invalid_argument("durations are limited to 1 h (window) / 10 min (others)");
  }
  if (o.scenario == "fanout" && o.clients > 10000) {
    throw std::invalid_argument("fanout: --clients (subscribers) <= 10000");
  }
  if (o.clients > 1000000 || o.subscribers > 10000) {
    throw std::invalid_argument("--clients <= 1000000, --subscribers <= 10000");
  }
  if (o.connect_concurrency == 0) o.connect_concurrency = 1;
  if (o.source_ips.empty()) throw std::invalid_argument("--source-ips: empty list");
  require_loopback("--host", o.host);
  for (const auto& ip : o.source_ips) require_loopback("--source-ips", ip);
  return true;
}

nlohmann::json Options::to_json() const {
  return {{"scenario", scenario},
          {"host", host},
          {"port", port},
          {"clients", clients},
          {"subscribers", subscribers},
          {"qos", qos},
          {"rate", rate},
          {"inflight", effective_inflight()},
          {"duration_s", duration_s},
          {"warmup_s", warmup_s},
          {"drain_s", drain_s},
          {"payload_size", payload_size},
          {"version", version},
          {"broker_pid", broker_pid},
          {"broker_pids", broker_pids},
          {"ports", ports},
          {"processes", processes},
          {"threads", threads},
          {"connect_concurrency", connect_concurrency},
          {"keepalive_s", keep_alive_s},
          {"source_ips", source_ips},
          {"window_s", window_s},
          {"spread", spread ? "uniform" : "none"},
          {"backlog", backlog},
          {"backoff_base_s", backoff_base_s},
          {"backoff_max_s", backoff_max_s},
          {"jitter", jitter},
          {"attempt_timeout_s", attempt_timeout_s},
          {"restart_cmd", restart_cmd},
          {"target", group_target ? "group" : "meter"},
          {"group", group},
          {"ack", ack},
          {"persistent_subscribers", persistent_subscribers},
          {"session_expiry_s", session_expiry_s}};
}

}  // namespace gridmq::bench
