#!/usr/bin/env bash
# The compile-time cost of #[differentiable]: builds a crate of 50 functions twice, with the
# attribute and without it, and prints both times and their difference. The functions mix
# straight-line code, a loop and a branch (about 12 statements each).
#
# Usage: tools/build-cost.sh [debug|release]    (run from anywhere; writes under target/)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile="${1:-debug}"
work="$root/target/build-cost"
rm -rf "$work"
mkdir -p "$work"

make_crate() { # name, attribute line
    local dir="$work/$1"
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "build-cost-$1"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
vjp = { path = "$root" }

[workspace]
TOML
    {
        echo "#![allow(dead_code)]"
        for i in $(seq 1 50); do
            cat <<RS
$2
pub fn f$i(x: f64, y: f64, w: &[f64]) -> f64 {
    let mut s = x * y + $i.0;
    let t = (x - y).sin() * s.exp().ln_1p();
    for k in 0..w.len() {
        s += w[k] * t + (s * 0.5).tanh();
        if s > 10.0 {
            s = s.sqrt();
        }
    }
    let u = s.powi(2) + t.hypot(x);
    u / (1.0 + y * y) + s.max(t)
}
RS
        done
    } > "$dir/src/lib.rs"
}

make_crate with "#[vjp::differentiable]"
make_crate without ""

flag=""
[ "$profile" = "release" ] && flag="--release"
export CARGO_TARGET_DIR="$work/target"
# Build the dependencies once, then time only the crate itself.
(cd "$work/with" && cargo build -q $flag)
(cd "$work/without" && cargo build -q $flag)
time_build() {
    touch "$work/$1/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    (cd "$work/$1" && cargo build -q $flag)
    end=$(date +%s.%N)
    awk "BEGIN { print $end - $start }"
}
best() { # the fastest of three builds
    local a b c
    a=$(time_build "$1"); b=$(time_build "$1"); c=$(time_build "$1")
    printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -n | head -1
}
with=$(best with)
without=$(best without)
echo "cargo build ($profile) of a crate of 50 functions, best of 3:"
printf '  with #[differentiable]:    %6.2f s\n' "$with"
printf '  without:                   %6.2f s\n' "$without"
awk -v w="$with" -v o="$without" 'BEGIN { printf "  extra:                     %6.2f s (%.0f ms per function)\n", w - o, (w - o) * 1000 / 50 }'
