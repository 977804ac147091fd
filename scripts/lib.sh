# Shared helpers for scripts/install.sh and scripts/release.sh (sourced, not run).
# Kept in one place so the two scripts agree on the provider address, the version and the
# platform names Terraform uses.

# The provider's source address. One address everywhere: docs, examples, tests, dev_overrides.
PROVIDER_HOSTNAME="registry.terraform.io"
PROVIDER_NAMESPACE="polardb-tools"
PROVIDER_TYPE="alicloud"
PROVIDER_BINARY="terraform-provider-${PROVIDER_TYPE}"

# The five platforms of a release (scripts/release.sh --all), as Rust targets.
RELEASE_TARGETS="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu"

die() {
    echo "error: $*" >&2
    exit 1
}

# The package version from Cargo.toml's [package] table (the first `version =` in it), so a
# release never disagrees with what the binary was built as.
cargo_version() {
    local manifest="$1"
    awk '
        /^\[/ { in_pkg = ($0 == "[package]") ; next }
        in_pkg && /^version[[:space:]]*=/ {
            sub(/^version[[:space:]]*=[[:space:]]*"/, "")
            sub(/".*$/, "")
            print
            exit
        }
    ' "$manifest"
}

# Terraform's `<os>_<arch>` for a Rust target triple, or for the host when no triple is given.
terraform_platform() {
    local triple="${1:-}" os arch
    if [ -n "$triple" ]; then
        case "$triple" in
            *-linux-*) os=linux ;;
            *-apple-darwin) os=darwin ;;
            *-windows-*) os=windows ;;
            *-freebsd) os=freebsd ;;
            *) die "no Terraform platform known for target $triple" ;;
        esac
        case "$triple" in
            x86_64-*) arch=amd64 ;;
            aarch64-*) arch=arm64 ;;
            i686-*) arch=386 ;;
            armv7-*|arm-*) arch=arm ;;
            *) die "no Terraform architecture known for target $triple" ;;
        esac
    else
        case "$(uname -s)" in
            Linux) os=linux ;;
            Darwin) os=darwin ;;
            FreeBSD) os=freebsd ;;
            MINGW*|MSYS*|CYGWIN*) os=windows ;;
            *) die "unsupported OS $(uname -s)" ;;
        esac
        case "$(uname -m)" in
            x86_64|amd64) arch=amd64 ;;
            aarch64|arm64) arch=arm64 ;;
            i386|i686) arch=386 ;;
            armv7l|armv6l) arch=arm ;;
            *) die "unsupported architecture $(uname -m)" ;;
        esac
    fi
    echo "${os}_${arch}"
}

# Cargo's target directory: $CARGO_TARGET_DIR (relative to the repository when not absolute,
# as cargo runs there), else target/ in the repository.
target_dir() {
    local root="$1"
    case "${CARGO_TARGET_DIR:-}" in
        "") echo "$root/target" ;;
        /*) echo "$CARGO_TARGET_DIR" ;;
        *) echo "$root/$CARGO_TARGET_DIR" ;;
    esac
}

# The Rust target of this machine, e.g. x86_64-unknown-linux-gnu.
host_triple() {
    rustc -vV | sed -n 's/^host: //p'
}

# Builds the release binary (for `triple`, or the host) and prints its path. A triple other than
# the host's is built with cargo-zigbuild (Zig as the cross linker and C compiler; aws-lc-sys
# compiles C), which docs/install.md says how to install. Source paths are remapped so that
# the binary does not depend on where the repository or the cargo home is.
build_release() {
    local root="$1" triple="${2:-}" cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    local remap="--remap-path-prefix=$root=. --remap-path-prefix=$cargo_home=/cargo"
    if [ -n "$triple" ] && [ "$triple" != "$(host_triple)" ]; then
        command -v cargo-zigbuild >/dev/null 2>&1 \
            || die "cross-building $triple needs cargo-zigbuild: pip install ziglang cargo-zigbuild (docs/install.md)"
        # aws-lc's x86-64 Windows assembly is NASM source. Without `nasm` on PATH its build
        # script stops unless allowed to link the objects aws-lc-sys ships, assembled by AWS
        # from the same source; with `nasm` installed it assembles them itself.
        case "$triple" in
            x86_64-pc-windows-*) export AWS_LC_SYS_PREBUILT_NASM="${AWS_LC_SYS_PREBUILT_NASM:-1}" ;;
        esac
        (cd "$root" && RUSTFLAGS="${RUSTFLAGS:-} $remap" \
            cargo zigbuild --release --locked --bin "$PROVIDER_BINARY" --target "$triple") >&2 \
            || die "cargo zigbuild --release --target $triple failed (rustup target add $triple?)"
        echo "$(target_dir "$root")/$triple/release/$PROVIDER_BINARY$(exe_suffix "$triple")"
    elif [ -n "$triple" ]; then
        (cd "$root" && RUSTFLAGS="${RUSTFLAGS:-} $remap" \
            cargo build --release --locked --bin "$PROVIDER_BINARY" --target "$triple") >&2 \
            || die "cargo build --release --target $triple failed"
        echo "$(target_dir "$root")/$triple/release/$PROVIDER_BINARY$(exe_suffix "$triple")"
    else
        (cd "$root" && cargo build --release --locked --bin "$PROVIDER_BINARY") >&2 \
            || die "cargo build --release failed"
        echo "$(target_dir "$root")/release/$PROVIDER_BINARY"
    fi
}

# `.exe` for Windows targets: Terraform looks for the binary with that suffix there.
exe_suffix() {
    case "${1:-}" in
        *-windows-*) echo ".exe" ;;
        *) echo "" ;;
    esac
}
