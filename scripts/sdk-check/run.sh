#!/bin/sh
# Usage: scripts/sdk-check/run.sh 127.0.0.1:PORT pc-CLUSTER pxc-INSTANCE  (emulator already running, --backup-duration 1s)
set -eu; V=$(mktemp -d); python3 -m venv "$V" && "$V/bin/pip" install -q alibabacloud_polardb20170801 alibabacloud_polardbx20200202 && "$V/bin/python" "$(dirname "$0")/check.py" --endpoint "$1" --cluster "$2" --instance "$3"; rc=$?; rm -rf "$V"; exit $rc
