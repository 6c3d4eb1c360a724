#!/usr/bin/env bash
# Sets up (packages + build) and starts the broker. Without arguments it runs the development
# configuration config/gridmq-dev-tls.toml: tcp://127.0.0.1:1883 and mTLS on tls://127.0.0.1:8883,
# data under ./data. On first start the dev certificates are generated in ./certs
# (config/dev-certs.sh; files that exist are kept). Arguments, if any, go to gridmq instead
# (e.g. --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
if [[ ! -e certs/server.pem ]]; then
  echo "run.sh: generating dev certificates in ./certs"
fi
./config/dev-certs.sh ./certs >/dev/null
if [[ $# -eq 0 ]]; then
  set -- --config config/gridmq-dev-tls.toml
fi
exec ./build/bin/gridmq "$@"
