#!/usr/bin/env bash
# Builds the registry release artifacts into dist/ (or --out DIR):
#   terraform-provider-alicloud_<version>_<os>_<arch>.zip   (holds terraform-provider-alicloud_v<version>,
#                                                            .exe on Windows)
#   terraform-provider-alicloud_<version>_manifest.json     (copy of terraform-registry-manifest.json)
#   terraform-provider-alicloud_<version>_SHA256SUMS        (every zip in DIR for this version + manifest)
#   terraform-provider-alicloud_<version>_SHA256SUMS.sig    (only with GPG_FINGERPRINT: a binary
#                                                            detached signature, as the registry wants)
# One platform per run (the host's, or --target's), or all five with --all; the SHA256SUMS file
# is rewritten each time to cover every zip of the version in DIR.
#
# Usage: scripts/release.sh [--all | --target TRIPLE] [--binary PATH | --prebuilt DIR] [--out DIR]
#   --all            linux_amd64, linux_arm64, darwin_amd64, darwin_arm64, windows_amd64; every
#                    target but the host's is built with cargo-zigbuild (docs/install.md)
#   --target TRIPLE  cross-build for one Rust target, default: the host
#   --binary PATH    package this already-built binary instead of building (tests use it);
#                    also $PROVIDER_BINARY_PATH. The platform is still --target's, or the host's.
#   --prebuilt DIR   with --all: package DIR/<triple>/terraform-provider-alicloud[.exe] for each
#                    target instead of building
#   --out DIR        output directory, default dist/ in the repository
# Environment: GPG_FINGERPRINT signs SHA256SUMS with that key (gpg --local-user); GNUPGHOME is
# honoured. SOURCE_DATE_EPOCH sets the zip entries' time (default 1980-01-01).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

binary="${PROVIDER_BINARY_PATH:-}"
target=""
all=0
prebuilt=""
out="$root/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --all) all=1; shift ;;
        --target) [ $# -ge 2 ] || die "--target needs a triple"; target="$2"; shift 2 ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary="$2"; shift 2 ;;
        --prebuilt) [ $# -ge 2 ] || die "--prebuilt needs a directory"; prebuilt="$2"; shift 2 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
if [ "$all" = 1 ]; then
    [ -z "$target" ] || die "--all and --target exclude each other"
    [ -z "$binary" ] || die "--all packages five binaries: use --prebuilt DIR, not --binary"
elif [ -n "$prebuilt" ]; then
    die "--prebuilt goes with --all (for one platform, use --binary PATH)"
fi

version="$(cargo_version "$root/Cargo.toml")"
[ -n "$version" ] || die "no version found in $root/Cargo.toml"
name="${PROVIDER_BINARY}_${version}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
# A fixed timestamp makes the zip, and so its checksum, depend on the binary's bytes only.
epoch="${SOURCE_DATE_EPOCH:-315532800}"

# Packs `binary` as the zip of `triple`'s platform (the host's when empty).
package() {
    local binary="$1" triple="$2" platform suffix inner zip_path
    [ -f "$binary" ] || die "binary not found: $binary"
    platform="$(terraform_platform "$triple")"
    suffix="$(exe_suffix "$triple")"
    # The file inside the zip is named as Terraform expects after unpacking: <binary>_v<version>.
    inner="${PROVIDER_BINARY}_v${version}${suffix}"
    rm -rf "${stage:?}/$platform"
    mkdir -p "$stage/$platform"
    cp "$binary" "$stage/$platform/$inner"
    chmod 0755 "$stage/$platform/$inner"
    zip_path="$out/${name}_${platform}.zip"
    rm -f "$zip_path"
    if command -v zip >/dev/null 2>&1; then
        touch -d "@$epoch" "$stage/$platform/$inner"
        (cd "$stage/$platform" && TZ=UTC zip -q -X "$zip_path" "$inner")
    elif command -v python3 >/dev/null 2>&1; then
        python3 - "$stage/$platform/$inner" "$zip_path" "$inner" "$epoch" <<'PY'
import stat, sys, time, zipfile
src, dest, arcname, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
info = zipfile.ZipInfo(arcname, date_time=time.gmtime(max(epoch, 315532800))[:6])
info.create_system = 3  # Unix, so the mode below is honoured when Terraform unpacks it
info.external_attr = (stat.S_IFREG | 0o755) << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dest, "w") as z:
    z.writestr(info, f.read())
PY
    else
        die "neither zip nor python3 is available to build $zip_path"
    fi
}

if [ "$all" = 1 ]; then
    for triple in $RELEASE_TARGETS; do
        if [ -n "$prebuilt" ]; then
            bin_path="$prebuilt/$triple/$PROVIDER_BINARY$(exe_suffix "$triple")"
        else
            echo "Building $triple ($(terraform_platform "$triple"))..." >&2
            bin_path="$(build_release "$root" "$triple")"
        fi
        package "$bin_path" "$triple"
    done
else
    if [ -z "$binary" ]; then
        binary="$(build_release "$root" "$target")"
    fi
    package "$binary" "$target"
fi

cp "$root/terraform-registry-manifest.json" "$out/${name}_manifest.json"

# SHA256SUMS covers every zip of this version already in $out plus the manifest, sorted, in
# the `<hex>  <file name>` form sha256sum writes (what the registry verifies).
sums="$out/${name}_SHA256SUMS"
(
    cd "$out"
    files=()
    for f in "${name}"_*.zip "${name}_manifest.json"; do
        [ -f "$f" ] && files+=("$f")
    done
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "${files[@]}"
    else
        shasum -a 256 "${files[@]}"
    fi
) | LC_ALL=C sort -k2 >"$sums.tmp"
mv -f "$sums.tmp" "$sums"

# The registry verifies SHA256SUMS against the maintainer's public key: a binary (not armored)
# detached signature next to it.
rm -f "$sums.sig"
if [ -n "${GPG_FINGERPRINT:-}" ]; then
    command -v gpg >/dev/null 2>&1 || die "GPG_FINGERPRINT is set but gpg is not installed"
    gpg --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign --output "$sums.sig" "$sums" \
        || die "gpg could not sign $sums with key $GPG_FINGERPRINT (is its secret key in GNUPGHOME?)"
fi

echo "Release artifacts for $version in $out:"
ls -1 "$out" | grep -F "$name" | sed 's/^/  /'
