#!/usr/bin/env bash
# Sets up (packages + build) and starts the broker on the embedded defaults:
# tcp://127.0.0.1:1883, data under ./data. Extra arguments go to gridmq (e.g. --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec ./build/bin/gridmq "$@"
