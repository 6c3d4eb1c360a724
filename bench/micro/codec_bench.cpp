// Codec micro-benchmarks: decode and encode per packet type, 3.1.1 and 5.0.
// PUBLISH carries a 277-byte meter reading (domain.md §2).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <string>

#include "payload.hpp"
#include "protocol/codec.hpp"

namespace {

namespace pr = gridmq::protocol;

pr::Version version_of(const benchmark::State& state) {
  return state.range(0) == 5 ? pr::Version::kV5 : pr::Version::kV311;
}

std::string reading_payload() {
  gridmq::bench::ReadingPayload p(gridmq::bench::meter_id(42), 277);
  return std::string(p.stamp(48213, 1234567890123));
}

pr::Packet sample(pr::PacketType type, pr::Version v, std::uint8_t qos = 0) {
  switch (type) {
    case pr::PacketType::kConnect: {
      pr::Connect c;
      c.version = v;
      c.client_id = "BNCH0000000042";
      c.keep_alive = 60;
      c.username = "meter";
      c.password = "secret";
      if (v == pr::Version::kV5) c.props.session_expiry_interval = 3600;
      return c;
    }
    case pr::PacketType::kPublish: {
      pr::Publish p;
      p.topic = "mtr/v1/t1/BNCH0000000042/up/reading";
      p.payload = reading_payload();
      p.qos = qos;
      p.packet_id = qos ? 4711 : 0;
      return p;
    }
    case pr::PacketType::kSubscribe: {
      pr::Subscribe s;
      s.packet_id = 7;
      pr::SubscribeEntry e;
      e.filter = "mtr/v1/t1/+/up/reading";
      e.qos = 1;
      s.entries.push_back(std::move(e));
      return s;
    }
    default: {
      pr::PubResponse a;
      a.packet_id = 4711;
      return a;
    }
  }
}

std::string encoded(const pr::Packet& p, pr::Version v) {
  std::string out;
  pr::encode(p, v, out);
  return out;
}

void BM_Decode(benchmark::State& state, pr::PacketType type, std::uint8_t qos) {
  const pr::Version v = version_of(state);
  const std::string bytes = encoded(sample(type, v, qos), v);
  const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                           bytes.size());
  const bool is_connect = type == pr::PacketType::kConnect;
  const bool ok = is_connect ? pr::decode_connect(span).ok() : pr::decode_packet(span, v).ok();
  if (!ok) {
    state.SkipWithError("the sample packet does not decode");
    return;
  }
  for (auto _ : state) {
    if (is_connect) {
      auto r = pr::decode_connect(span);
      benchmark::DoNotOptimize(r);
    } else {
      auto r = pr::decode_packet(span, v);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void BM_Encode(benchmark::State& state, pr::PacketType type, std::uint8_t qos) {
  const pr::Version v = version_of(state);
  const pr::Packet p = sample(type, v, qos);
  std::string out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    pr::encode(p, v, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}

/// The broker's fan-out path: encode_publish straight from topic and payload.
void BM_EncodePublishFast(benchmark::State& state) {
  const pr::Version v = version_of(state);
  const std::string payload = reading_payload();
  const std::string topic = "mtr/v1/t1/BNCH0000000042/up/reading";
  std::string out;
  out.reserve(1024);
  for (auto _ : state) {
    out.clear();
    pr::encode_publish(v, topic, payload, 1, false, false, 4711, nullptr, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}

void versions(benchmark::internal::Benchmark* b) {
  b->Arg(4)->Arg(5);
}

BENCHMARK_CAPTURE(BM_Decode, connect, pr::PacketType::kConnect, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Decode, publish_qos0_277B, pr::PacketType::kPublish, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Decode, publish_qos1_277B, pr::PacketType::kPublish, 1)->Apply(versions);
BENCHMARK_CAPTURE(BM_Decode, subscribe, pr::PacketType::kSubscribe, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Decode, puback, pr::PacketType::kPuback, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Encode, connect, pr::PacketType::kConnect, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Encode, publish_qos0_277B, pr::PacketType::kPublish, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Encode, publish_qos1_277B, pr::PacketType::kPublish, 1)->Apply(versions);
BENCHMARK_CAPTURE(BM_Encode, subscribe, pr::PacketType::kSubscribe, 0)->Apply(versions);
BENCHMARK_CAPTURE(BM_Encode, puback, pr::PacketType::kPuback, 0)->Apply(versions);
BENCHMARK(BM_EncodePublishFast)->Apply(versions);

}  // namespace

BENCHMARK_MAIN();
