#!/usr/bin/env bash
# Builds the registry release artifacts for one platform into dist/:
#   terraform-provider-alicloud_<version>_<os>_<arch>.zip   (holds terraform-provider-alicloud_v<version>)
#   terraform-provider-alicloud_<version>_manifest.json     (copy of terraform-registry-manifest.json)
#   terraform-provider-alicloud_<version>_SHA256SUMS        (every zip in dist/ for this version + manifest)
# Run it once per platform (same dist/): the SHA256SUMS file is rewritten to cover all the zips.
# Signing SHA256SUMS (gpg --detach-sign) is left to the maintainer's key, outside this script.
#
# Usage: scripts/release.sh [--target TRIPLE] [--binary PATH] [--out DIR]
#   --target TRIPLE  cross-build for a Rust target (see docs/install.md), default: the host
#   --binary PATH    package this already-built binary instead of building (tests use it);
#                    also $PROVIDER_BINARY_PATH. The platform is still --target's, or the host's.
#   --out DIR        output directory, default dist/ in the repository
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

binary="${PROVIDER_BINARY_PATH:-}"
target=""
out="$root/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --target) [ $# -ge 2 ] || die "--target needs a triple"; target="$2"; shift 2 ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary="$2"; shift 2 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

version="$(cargo_version "$root/Cargo.toml")"
[ -n "$version" ] || die "no version found in $root/Cargo.toml"
platform="$(terraform_platform "$target")"
suffix="$(exe_suffix "$target")"

if [ -z "$binary" ]; then
    binary="$(build_release "$root" "$target")"
fi
[ -f "$binary" ] || die "binary not found: $binary"

name="${PROVIDER_BINARY}_${version}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# The file inside the zip is named as Terraform expects after unpacking: <binary>_v<version>.
inner="${PROVIDER_BINARY}_v${version}${suffix}"
cp "$binary" "$stage/$inner"
chmod 0755 "$stage/$inner"
# A fixed timestamp makes the zip, and so its checksum, depend on the binary's bytes only.
epoch="${SOURCE_DATE_EPOCH:-315532800}"
zip_path="$out/${name}_${platform}.zip"
rm -f "$zip_path"
if command -v zip >/dev/null 2>&1; then
    touch -d "@$epoch" "$stage/$inner"
    (cd "$stage" && TZ=UTC zip -q -X "$zip_path" "$inner")
elif command -v python3 >/dev/null 2>&1; then
    python3 - "$stage/$inner" "$zip_path" "$inner" "$epoch" <<'PY'
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

echo "Release artifacts for $version ($platform) in $out:"
ls -1 "$out" | grep -F "$name" | sed 's/^/  /'
