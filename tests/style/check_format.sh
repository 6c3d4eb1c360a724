#!/usr/bin/env bash
# Fails when any tracked C++ file differs from what clang-format (root .clang-format) makes of it.
set -euo pipefail
clang_format=$1
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if ((${#files[@]} == 0)); then
  echo "check_format: no C++ files found (not a git checkout?)" >&2
  exit 1
fi
"$clang_format" --dry-run -Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted"
