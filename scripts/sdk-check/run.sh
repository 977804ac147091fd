#!/usr/bin/env bash
# The independent checks: code we did not write (the official Alibaba Cloud Python SDKs, from
# PyPI) checks our emulator and our provider's requests. Run by scripts/test.sh; on its own:
#
#   scripts/sdk-check/run.sh [BIN_DIR]     (default: target/debug, built by `cargo test`)
#
# For each dialect the emulator plays (documented; strict too once `--dialect` is accepted):
#   sdk        the official SDKs drive the emulator (check.py), default V3 and V2 signing;
#   live       scripts/live-check.sh runs against the emulator; its findings must be the
#              dialect's reading (live_emulator.py);
#   provider   terraform apply/plan/destroy of examples/quickstart, the provider's requests
#              passing a proxy that recomputes every signature with the SDK's functions and
#              compares method and parameter placement with the SDK's (provider_check.py),
#              once signing V2 and once V3.
# Prints one line per check with its time, then a summary; exits non-zero if any check failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

bin_dir="${1:-$(target_dir "$root")/debug}"
for b in alicloud-emulator "$PROVIDER_BINARY"; do
    [ -x "$bin_dir/$b" ] || die "$bin_dir/$b is missing: run cargo build --bins (or cargo test) first"
done
command -v terraform >/dev/null 2>&1 || die "terraform is not on PATH"
python="$("$here/venv.sh")" || exit 1
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1

dialects="documented"
if "$bin_dir/alicloud-emulator" --help 2>&1 | grep -q -- '--dialect'; then
    dialects="documented strict"
else
    echo "note: this alicloud-emulator has no --dialect yet: the strict checks are skipped"
fi

passed=() failed=()
check() {
    local name="$1" start rc
    shift
    echo "--- $name"
    start=$(date +%s)
    (cd "$here" && "$python" "$@")
    rc=$?
    local took=$(($(date +%s) - start))
    if [ "$rc" -eq 0 ]; then
        passed+=("$name (${took}s)")
    else
        failed+=("$name (${took}s)")
    fi
}

for d in $dialects; do
    check "sdk $d" check.py --bin-dir "$bin_dir" --dialect "$d"
    check "live $d" live_emulator.py --bin-dir "$bin_dir" --root "$root" --dialect "$d"
    for s in v2 v3; do
        check "provider $s $d" provider_check.py --bin-dir "$bin_dir" --root "$root" \
            --dialect "$d" --signature "$s"
    done
done

echo
echo "independent checks: ${#passed[@]} passed, ${#failed[@]} failed"
for p in "${passed[@]}"; do echo "  ok    $p"; done
for f in "${failed[@]}"; do echo "  FAIL  $f"; done
[ "${#failed[@]}" -eq 0 ]
