#!/usr/bin/env bash
# Checks the release binaries of the platforms this Linux machine cannot run natively, by
# simulation (too slow for CI; run it after scripts/release.sh --all, and record the result in
# docs/install.md, "Platforms"):
#
#   linux_arm64    under qemu-user: the go-plugin handshake; the protocol tests of
#                  tests/protocol.rs (mTLS with a P-521 client certificate, every RPC) with the
#                  arm64 binary as the provider; then scripts/demo.sh (terraform apply of the
#                  quickstart against the emulator, plan empty, destroy) through a dev_overrides
#                  directory whose terraform-provider-alicloud runs the arm64 binary under qemu.
#   darwin_arm64,  the Mach-O CPU type, and that the binary links only libSystem and libiconv
#   darwin_amd64   (scripts/binary-check.py), no framework; the handshake path is the Unix one
#                  tested on Linux.
#   windows_amd64  PE machine and that every imported DLL ships with Windows; with wine
#                  installed, the handshake under wine (loopback TCP in the port range, a server
#                  certificate), then tests/distribution/windows.rs against the .exe under wine
#                  (mTLS with a P-521 client certificate, schema, StopProvider, other clients
#                  refused, Shutdown ends the process).
#
# Each step prints how long it took. Usage: scripts/cross-check.sh [--dist DIR] [PLATFORM...]
# (default: all four). Needs: unzip, python3, openssl; linux_arm64: apt-get install qemu-user
# libc6-arm64-cross, cargo, terraform; windows under wine: apt-get install wine64 (optional),
# cargo; WINEPREFIX is honoured (default: a fresh prefix in a temp dir).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

dist="$root/dist"
platforms=()
while [ $# -gt 0 ]; do
    case "$1" in
        --dist) [ $# -ge 2 ] || die "--dist needs a directory"; dist="$2"; shift 2 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        linux_arm64|darwin_arm64|darwin_amd64|windows_amd64) platforms+=("$1"); shift ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ ${#platforms[@]} -gt 0 ] || platforms=(linux_arm64 darwin_arm64 darwin_amd64 windows_amd64)

version="$(cargo_version "$root/Cargo.toml")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
# A client certificate like Terraform's (self-signed P-521 / SHA-512) for the handshake.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -sha512 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$work/client.key" -out "$work/client.pem" 2>/dev/null \
    || die "openssl could not make a client certificate"
report() {
    printf '%-14s %-5s %s\n' "$1" "$2" "$3"
    case "$2" in ok|skip) ;; *) failed=1 ;; esac
}
# Seconds since `start` was last set, for the report.
start=0
since() { echo "$(( $(date +%s) - start )) s"; }

# Unpacks the platform's zip and prints the binary's path.
unpack() {
    local platform="$1" zip suffix=""
    zip="$dist/${PROVIDER_BINARY}_${version}_${platform}.zip"
    [ -f "$zip" ] || die "$zip not found: run scripts/release.sh --all --out $dist first"
    [ "$platform" = windows_amd64 ] && suffix=".exe"
    mkdir -p "$work/$platform"
    unzip -q -o "$zip" -d "$work/$platform"
    echo "$work/$platform/${PROVIDER_BINARY}_v${version}${suffix}"
}

# Reads the first stdout line of `cmd...` started with Terraform's environment (waiting up to
# $wait_s seconds), then stops it.
wait_s=30
handshake_line() {
    local out="$work/handshake.out" pid line=""
    TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2 \
        PLUGIN_PROTOCOL_VERSIONS=5,6 PLUGIN_MIN_PORT=10000 PLUGIN_MAX_PORT=25000 \
        PLUGIN_CLIENT_CERT="$(cat "$work/client.pem")" \
        "$@" >"$out" 2>"$work/handshake.err" </dev/null &
    pid=$!
    for _ in $(seq 1 $((wait_s * 10))); do
        line="$(head -n1 "$out" 2>/dev/null || true)"
        [ -n "$line" ] && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$line"
}

size_of() { wc -c <"$1" | tr -d ' '; }

for platform in "${platforms[@]}"; do
    binary="$(unpack "$platform")"
    case "$platform" in
        darwin_arm64|darwin_amd64)
            kind=macho-arm64; [ "$platform" = darwin_amd64 ] && kind=macho-x86_64
            if detail="$(python3 "$root/scripts/binary-check.py" "$kind" "$binary")"; then
                report "$platform" ok "$(size_of "$binary") bytes; Mach-O $kind, links only libSystem and libiconv"
            else
                echo "$detail"; report "$platform" FAIL "Mach-O check"
            fi
            ;;
        windows_amd64)
            if detail="$(python3 "$root/scripts/binary-check.py" pe-x86_64 "$binary")"; then
                report "$platform" ok "$(size_of "$binary") bytes; PE x86-64 console, system DLLs only"
            else
                echo "$detail"; report "$platform" FAIL "PE check"
            fi
            echo "$detail" | sed 's/^/    /'
            # Debian's wine64 package puts the loader outside PATH.
            wine="$(command -v wine64 || command -v wine || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true)"
            if [ -z "$wine" ]; then
                report "$platform" skip "wine not installed: handshake and session not run (apt-get install wine64)"
                continue
            fi
            export WINEPREFIX="${WINEPREFIX:-$work/wine}" WINEDEBUG=-all
            # A new prefix takes a while to set up: do it once, before anything is timed.
            start=$(date +%s)
            "$wine" wineboot -i >/dev/null 2>&1 || true
            echo "    wine prefix ready in $(since)"
            # Rust's std imports ProcessPrng from bcryptprimitives.dll (Windows 10 and later);
            # Debian's wine 8.0 has no such DLL, so no Rust program loads ("Library
            # bcryptprimitives.dll ... not found", status c0000135). For wine only, a stand-in
            # next to the .exe (the first place Windows looks) forwards to BCryptGenRandom.
            # It is not part of the release.
            cat >"$work/bcryptprimitives.c" <<'C'
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
C
            python3 -m ziglang cc -target x86_64-windows-gnu -shared -O2 \
                -o "$(dirname "$binary")/bcryptprimitives.dll" "$work/bcryptprimitives.c" -lbcrypt \
                || die "zig could not build the bcryptprimitives.dll stand-in for wine (pip install ziglang)"
            # What Terraform would start: the .exe, here under wine.
            over="$work/windows-bin"
            mkdir -p "$over"
            cat >"$over/$PROVIDER_BINARY" <<WRAP
#!/bin/sh
exec "$wine" "$binary" "\$@"
WRAP
            chmod 0755 "$over/$PROVIDER_BINARY"
            start=$(date +%s)
            wait_s=120
            line="$(handshake_line "$over/$PROVIDER_BINARY")"
            wait_s=30
            if [[ "$line" =~ ^1\|6\|tcp\|127\.0\.0\.1:([0-9]+)\|grpc\|.{50,}$ ]] \
                && [ "${BASH_REMATCH[1]}" -ge 10000 ] && [ "${BASH_REMATCH[1]}" -le 25000 ]; then
                report "$platform" ok "handshake under wine in $(since): ${line:0:40}..."
            else
                report "$platform" FAIL "handshake under wine: '$line' $(head -c 300 "$work/handshake.err")"
            fi
            start=$(date +%s)
            if (cd "$root" && RUST_BACKTRACE=0 TEST_PROVIDER_BINARY="$over/$PROVIDER_BINARY" \
                cargo test --quiet --test tests distribution::windows:: -- --ignored >"$work/windows.log" 2>&1) \
                && grep -q '1 passed' "$work/windows.log"; then
                report "$platform" ok "tests/distribution/windows.rs against the .exe under wine ($(since), build included): TCP + mTLS session, StopProvider, Shutdown"
            else
                tail -n 40 "$work/windows.log"
                report "$platform" FAIL "tests/distribution/windows.rs against the .exe under wine"
            fi
            ;;
        linux_arm64)
            command -v qemu-aarch64 >/dev/null 2>&1 || die "qemu-aarch64 not found: apt-get install qemu-user libc6-arm64-cross"
            [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] \
                || die "no arm64 glibc for qemu: apt-get install libc6-arm64-cross"
            if detail="$(python3 "$root/scripts/binary-check.py" elf-aarch64 "$binary")"; then
                report "$platform" ok "$(size_of "$binary") bytes; ELF aarch64, glibc libraries only"
            else
                report "$platform" FAIL "ELF check"
            fi
            echo "$detail" | sed 's/^/    /'
            # What Terraform runs: a terraform-provider-alicloud that is the arm64 binary under qemu.
            over="$work/arm64-bin"
            mkdir -p "$over"
            cat >"$over/$PROVIDER_BINARY" <<WRAP
#!/bin/sh
exec qemu-aarch64 -L /usr/aarch64-linux-gnu "$binary" "\$@"
WRAP
            chmod 0755 "$over/$PROVIDER_BINARY"
            start=$(date +%s)
            line="$(handshake_line "$over/$PROVIDER_BINARY")"
            if [[ "$line" =~ ^1\|6\|unix\|/.+\|grpc\|.{50,}$ ]]; then
                report "$platform" ok "handshake under qemu in $(since): ${line:0:40}..."
            else
                report "$platform" FAIL "handshake under qemu: '$line' $(head -c 300 "$work/handshake.err")"
            fi
            # Build the test binary first, so the time below is the tests' own.
            (cd "$root" && cargo test --quiet --test tests --no-run >/dev/null 2>&1) || die "cannot build the tests"
            start=$(date +%s)
            if (cd "$root" && RUST_BACKTRACE=0 TEST_PROVIDER_BINARY="$over/$PROVIDER_BINARY" \
                cargo test --quiet --test tests protocol:: >"$work/protocol.log" 2>&1); then
                report "$platform" ok "tests/protocol.rs against the arm64 binary in $(since): $(grep -o '[0-9]* passed' "$work/protocol.log" | tail -1)"
            else
                tail -n 60 "$work/protocol.log"
                report "$platform" FAIL "tests/protocol.rs against the arm64 binary"
            fi
            (cd "$root" && cargo build --quiet --bin alicloud-emulator) || die "cannot build the emulator"
            ln -sf "$(target_dir "$root")/debug/alicloud-emulator" "$over/alicloud-emulator"
            start=$(date +%s)
            if DEMO_BIN_DIR="$over" bash "$root/scripts/demo.sh" >"$work/demo.log" 2>&1; then
                report "$platform" ok "scripts/demo.sh (quickstart apply, empty plan, destroy) through dev_overrides + qemu in $(since)"
            else
                tail -n 40 "$work/demo.log"
                report "$platform" FAIL "scripts/demo.sh through qemu"
            fi
            ;;
    esac
done
exit "$failed"
