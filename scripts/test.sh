#!/usr/bin/env bash
# Sets up (packages + build), builds the decoder and JSON-scanner fuzzers with clang, and runs the
# whole test suite with CTest: unit tests, raw-byte protocol tests and system tests against the
# real binary, and bounded fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# libFuzzer needs clang; the codec and the meter_validation JSON scanner are built again there
# with sanitizers, alone.
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGRIDMQ_BUILD_FUZZERS=ON -DGRIDMQ_ONLY_PROTOCOL=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_decoder fuzz_json_scan

cmake -S . -B build -DGRIDMQ_FUZZ_DECODER="$PWD/build-fuzz/bin/fuzz_decoder" \
  -DGRIDMQ_FUZZ_JSON_SCAN="$PWD/build-fuzz/bin/fuzz_json_scan" >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"${GRIDMQ_TEST_JOBS:-2}" "$@"
