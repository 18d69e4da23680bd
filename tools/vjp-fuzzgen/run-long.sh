#!/usr/bin/env bash
# The long differential-testing run of vjp:
#
#     tools/vjp-fuzzgen/run-long.sh SEED COUNT [vjp-fuzzgen run options]
#
# generates COUNT random #[differentiable] functions (in chunks of 500; chunk k has seed
# SEED + k) into a throwaway crate under target/fuzzgen/run-SEED/ (never into tests/), builds
# and runs their finite-difference and dot-product checks, and writes
# target/fuzzgen/run-SEED/report.md, with a standalone test file per failure under
# target/fuzzgen/run-SEED/failures/. Exits with status 1 if a check failed or the compiler
# rejected a generated function. Options are passed on, for example `--rev HEAD` (test a
# git revision instead of the working tree), `--chunk 1000`, `--enable all`.
set -euo pipefail
if (($# < 2)); then
    echo "usage: $0 SEED COUNT [--chunk N] [--rev REV] [--threads T] [--enable LIST] [--disable LIST]" >&2
    exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seed=$1
count=$2
shift 2
exec cargo run --release -q -p vjp-fuzzgen -- run --seed "$seed" --count "$count" "$@"
