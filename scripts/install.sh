#!/usr/bin/env bash
# Installs the provider where `terraform init` finds it with no CLI configuration and no network:
# Terraform's implied local mirror,
#   $HOME/.terraform.d/plugins/registry.terraform.io/polardb-tools/alicloud/<version>/<os>_<arch>/
# with the version taken from Cargo.toml.
#
# Usage: scripts/install.sh [--binary PATH] [--plugins-dir DIR]
#   --binary PATH      install this already-built binary instead of running
#                      `cargo build --release` (tests use it to stay fast); also $PROVIDER_BINARY_PATH
#   --plugins-dir DIR  install under DIR instead of $HOME/.terraform.d/plugins
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

binary="${PROVIDER_BINARY_PATH:-}"
plugins_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary="$2"; shift 2 ;;
        --plugins-dir) [ $# -ge 2 ] || die "--plugins-dir needs a directory"; plugins_dir="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

if [ -z "$plugins_dir" ]; then
    [ -n "${HOME:-}" ] || die "HOME is not set; pass --plugins-dir"
    plugins_dir="$HOME/.terraform.d/plugins"
fi

version="$(cargo_version "$root/Cargo.toml")"
[ -n "$version" ] || die "no version found in $root/Cargo.toml"
platform="$(terraform_platform)"

if [ -z "$binary" ]; then
    binary="$(build_release "$root")"
fi
[ -f "$binary" ] || die "binary not found: $binary"

dest_dir="$plugins_dir/$PROVIDER_HOSTNAME/$PROVIDER_NAMESPACE/$PROVIDER_TYPE/$version/$platform"
dest="$dest_dir/${PROVIDER_BINARY}_v${version}"
mkdir -p "$dest_dir"
# Copy to a temporary name, then rename: a half-written binary is never visible to Terraform.
cp "$binary" "$dest.tmp.$$"
chmod 0755 "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"

echo "Installed $PROVIDER_HOSTNAME/$PROVIDER_NAMESPACE/$PROVIDER_TYPE $version ($platform):"
echo "  $dest"
echo "Use it with:"
echo "  terraform {"
echo "    required_providers {"
echo "      alicloud = { source = \"$PROVIDER_NAMESPACE/$PROVIDER_TYPE\", version = \"~> ${version%.*}\" }"
echo "    }"
echo "  }"
echo "A .terraform.lock.hcl that recorded an earlier build of this same version rejects the new"
echo "binary's checksum: delete that lock file (or its provider block) and run terraform init again."
