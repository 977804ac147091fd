#!/usr/bin/env bash
# The project's test command (the README's, and what CI runs after fmt and clippy):
#
#   1. cargo test                                   unit, protocol, real terraform end to end,
#                                                   the emulator in its `documented` dialect;
#   2. EMULATOR_DIALECT=strict cargo test --test tests
#                                                   the integration tests again against the
#                                                   emulator's `strict` dialect (issue 10);
#   3. scripts/sdk-check/run.sh                     the independent checks: the official Python
#                                                   SDKs check the emulator and the provider's
#                                                   requests (signatures, methods, placement);
#   4. cargo deny check licenses bans sources       the dependency policy in deny.toml (cargo-deny
#                                                   is built into target/tools on first use).
#
# Every step runs even if an earlier one failed (step 3 needs the binaries step 1 built, so it
# is skipped only when they are missing); a summary with each step's time follows, and the exit
# status is non-zero if any step failed. Needs the Rust toolchain, terraform, and python3 with
# venv and pip (PyPI is reached once, to fill target/sdk-venv).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1

if [ -t 1 ]; then
    step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
    step() { printf '\n==> %s\n' "$*"; }
fi

results=()
failures=0
run() {
    local name="$1" start rc took
    shift
    step "$name"
    start=$(date +%s)
    "$@"
    rc=$?
    took=$(($(date +%s) - start))
    if [ "$rc" -eq 0 ]; then
        results+=("ok    $name (${took}s)")
    else
        results+=("FAIL  $name (${took}s, exit $rc)")
        failures=$((failures + 1))
    fi
}

run "cargo test (emulator: documented)" cargo test --locked

# The strict dialect is read by tests/util/emulator.rs from EMULATOR_DIALECT; a tree whose test
# helper does not know the variable yet would only repeat step 1, so it is skipped, and said.
if grep -q 'EMULATOR_DIALECT' tests/util/emulator.rs 2>/dev/null; then
    run "cargo test --test tests (emulator: strict)" \
        env EMULATOR_DIALECT=strict cargo test --locked --test tests
else
    results+=("skip  cargo test --test tests (emulator: strict): tests/util/emulator.rs does not read EMULATOR_DIALECT yet")
fi

# The binaries cargo test built (debug profile); a no-op build when they are fresh.
run "cargo build --bins" cargo build --locked --bins
run "independent checks (official SDKs)" scripts/sdk-check/run.sh

# The dependency policy (deny.toml): licenses, bans (duplicate versions), sources. cargo-deny
# from PATH, or else built once into target/tools (a debug build: fast to compile, and the check
# itself takes seconds). Advisories need the RustSec database from GitHub: see deny.toml.
deny_version=0.20.2
if ! command -v cargo-deny >/dev/null 2>&1 && [ ! -x target/tools/bin/cargo-deny ]; then
    run "install cargo-deny $deny_version into target/tools (once)" \
        cargo install --locked --debug --quiet cargo-deny --version "$deny_version" --root target/tools
fi
run "cargo deny check licenses bans sources" \
    env PATH="$root/target/tools/bin:$PATH" cargo deny --locked check licenses bans sources

printf '\n==> Summary\n'
printf '  %s\n' "${results[@]}"
if [ "$failures" -ne 0 ]; then
    echo "scripts/test.sh: $failures step(s) failed"
    exit 1
fi
echo "scripts/test.sh: all passed"
