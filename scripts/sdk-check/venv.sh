#!/usr/bin/env bash
# Prints the path of a Python with the official SDKs of requirements.txt, creating the venv
# (target/sdk-venv, or under CARGO_TARGET_DIR) on first use and again whenever requirements.txt
# changes. Needs python3 (3.9 or later) with venv and pip, and PyPI reachable on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

venv="$(target_dir "$root")/sdk-venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH (the SDK checks need it)"
    echo "creating $venv from scripts/sdk-check/requirements.txt" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" >&2 || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
        -r "$here/requirements.txt" >&2 || die "pip could not install the pinned SDKs from PyPI"
    echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
