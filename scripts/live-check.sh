#!/usr/bin/env bash
# Settles issue 10's open points 1-8 on a real Alibaba Cloud account, with the official Python
# SDKs only (nothing of this project): see docs/api-notes.md for what each finding means.
#
#   export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
#   scripts/live-check.sh --region cn-hangzhou --cluster pc-... --instance pxc-...
#
# It creates ONE manual PolarDB backup of the cluster (a unique Comment marks it) and deletes it
# once finished; everything else is read. It creates no PolarDB-X backup set (they cannot be
# deleted) and never deletes or changes anything it did not create. The cluster must be Running
# and hold fewer than three manual backups. A backup takes minutes to hours: --timeout (default
# 3600 s) bounds the wait, --poll (default 15 s) spaces the calls.
#
# Options: --endpoint URL (one endpoint for both products, e.g. the emulator), --polardb-endpoint,
# --polardbx-endpoint, --json FILE (write the findings). scripts/test.sh runs it against the
# emulator in each dialect. The Python venv is made under target/ on first use (needs PyPI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="$("$here/sdk-check/venv.sh")"
export PYTHONDONTWRITEBYTECODE=1
exec "$python" "$here/sdk-check/live_check.py" "$@"
