// gridmq-bench: MQTT load generator for any broker. See bench/README.md.

#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string_view>

#include "options.hpp"
#include "payload.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "system.hpp"

int main(int argc, char** argv) {
  using namespace gridmq::bench;
  if (argc >= 2 && std::string_view(argv[1]) == "capacity") return run_capacity(argc, argv);
  Options o;
  try {
    if (!parse_options(argc, argv, o)) {
      std::cout << usage();
      return 0;
    }
    if (o.payload_size < ReadingPayload::min_size() || o.payload_size > ReadingPayload::kMaxSize) {
      throw std::invalid_argument("--payload-size must be in [" +
                                  std::to_string(ReadingPayload::min_size()) + ", " +
                                  std::to_string(ReadingPayload::kMaxSize) + "]");
    }
  } catch (const std::exception& e) {
    std::cerr << "gridmq-bench: " << e.what() << '\n';
    return 2;
  }

  const long fds = raise_fd_limit();
  const std::size_t per_process = o.clients / static_cast<std::size_t>(o.processes) + 1;
  if (o.scenario != "fanin" && o.scenario != "fanout" && fds > 0 &&
      per_process + 64 > static_cast<std::size_t>(fds)) {
    std::cerr << "gridmq-bench: " << per_process << " connections per process exceed the open-file"
              << " limit " << fds << "; use --processes\n";
    return 2;
  }

  Result r;
  try {
    if (o.scenario == "fanin") {
      r = run_fanin(o);
    } else if (o.scenario == "fanout") {
      r = run_fanout(o);
    } else if (o.scenario == "burst") {
      r = run_burst(o);
    } else if (o.scenario == "storm") {
      r = run_storm(o);
    } else if (o.scenario == "broadcast") {
      r = run_broadcast(o);
    } else if (o.scenario == "idle") {
      r = run_idle(o);
    } else {
      r = run_connect(o);
    }
  } catch (const std::exception& e) {
    std::cerr << "gridmq-bench: " << e.what() << '\n';
    return 1;
  }

  if (!o.quiet) print_text(r, std::cout);
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << r.to_json().dump(2) << '\n';
    if (!out) {
      std::cerr << "gridmq-bench: cannot write " << o.json_out << '\n';
      return 1;
    }
  }
  return r.errors.empty() ? 0 : 3;
}
