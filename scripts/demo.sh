#!/usr/bin/env bash
# The demo: the provider against the local emulator, through the real terraform.
#
# Builds both binaries, starts alicloud-emulator on a free loopback port with one PolarDB cluster
# and one PolarDB-X instance, writes a CLI configuration whose dev_overrides point
# polardb-tools/alicloud at the fresh build, then on a copy of examples/quickstart:
# apply, show the outputs, plan (must show no changes), destroy. The emulator is stopped and the
# temporary directory removed however the script ends; any failure exits non-zero.
#
# Debug binaries, not release: the release profile (LTO, one codegen unit) takes several times
# longer to compile on a fresh machine, the demo makes a handful of API calls so the optimiser
# buys nothing, and `cargo test` has already built these same debug binaries.
#
# Needs: cargo, terraform (1.0 or later) on PATH. Set KEEP_DEMO_DIR=1 to keep the work dir,
# DEMO_BIN_DIR=DIR to use binaries already built in DIR instead of running cargo.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

cluster_id="pc-demo00000001"
instance_name="pxc-demo00000001"
region="cn-hangzhou"

if [ -t 1 ]; then
    step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
    step() { printf '\n==> %s\n' "$*"; }
fi

command -v terraform >/dev/null 2>&1 || die "terraform is not on PATH"
[ -n "${DEMO_BIN_DIR:-}" ] || command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH"

# DEMO_BIN_DIR: use the binaries already built there and skip cargo (the test of this script
# passes the directory cargo test built them in).
if [ -n "${DEMO_BIN_DIR:-}" ]; then
    bin_dir="$(cd "$DEMO_BIN_DIR" && pwd)"
else
    step "Building terraform-provider-alicloud and alicloud-emulator (debug)"
    (cd "$root" && cargo build --locked --bins)
    bin_dir="$(target_dir "$root")/debug"
fi
for b in "$PROVIDER_BINARY" alicloud-emulator; do
    [ -x "$bin_dir/$b" ] || die "$bin_dir/$b is missing or not executable"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/alicloud-demo.XXXXXX")"
emulator_pid=""
cleanup() {
    local rc=$?
    if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -s "$work/emulator.err" ]; then
        echo "--- emulator stderr:" >&2
        tail -n 20 "$work/emulator.err" >&2
    fi
    if [ -n "${KEEP_DEMO_DIR:-}" ]; then
        echo "Kept $work" >&2
    else
        rm -rf "$work"
    fi
    if [ "$rc" -ne 0 ]; then
        echo "demo FAILED (exit $rc)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Starting the emulator with cluster $cluster_id and instance $instance_name"
"$bin_dir/alicloud-emulator" --port 0 --region "$region" \
    --cluster "$cluster_id" --instance "$instance_name" --backup-duration 2s \
    >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
# Its first stdout line is `listening on http://127.0.0.1:PORT`.
endpoint=""
for _ in $(seq 1 100); do
    endpoint="$(sed -n '1s/^listening on //p' "$work/emulator.out" 2>/dev/null || true)"
    [ -n "$endpoint" ] && break
    kill -0 "$emulator_pid" 2>/dev/null || die "the emulator exited before listening"
    sleep 0.1
done
[ -n "$endpoint" ] || die "the emulator did not print its address within 10 s"
echo "emulator at $endpoint (pid $emulator_pid)"

# A CLI configuration of our own: dev_overrides runs the binary from target/debug without
# installing it (the key is the provider's full source address), and nothing else is fetched.
cat >"$work/demo.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "$PROVIDER_HOSTNAME/$PROVIDER_NAMESPACE/$PROVIDER_TYPE" = "$bin_dir"
  }
  direct {}
}
EOF

# A copy of the quickstart, so no state or .terraform directory lands in the repository.
cp -R "$root/examples/quickstart" "$work/quickstart"
rm -rf "$work/quickstart/.terraform" "$work/quickstart/.terraform.lock.hcl" "$work/quickstart"/*.tfstate*

export TF_CLI_CONFIG_FILE="$work/demo.tfrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export TF_INPUT=0
unset TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_apply TF_CLI_ARGS_destroy TF_WORKSPACE TF_DATA_DIR \
    TF_REATTACH_PROVIDERS
# Only the emulator's key: any Alibaba Cloud setting of this shell (a real AccessKey, a profile,
# a role to assume) must not reach the provider.
for var in $(compgen -e); do
    case "$var" in
        ALICLOUD_* | ALIBABA_CLOUD_*) unset "$var" ;;
    esac
done
export ALIBABA_CLOUD_ENDPOINT_POLARDB="$endpoint"
export ALIBABA_CLOUD_ENDPOINT_POLARDBX="$endpoint"
export ALIBABA_CLOUD_ACCESS_KEY_ID="LTAIEmulatorKey"
export ALIBABA_CLOUD_ACCESS_KEY_SECRET="EmulatorSecret"
export ALIBABA_CLOUD_REGION="$region"
export TF_VAR_region="$region"
export TF_VAR_db_cluster_id="$cluster_id"
export TF_VAR_db_instance_name="$instance_name"

tf() {
    echo "\$ terraform $*"
    terraform -chdir="$work/quickstart" "$@"
}

# Terraform refuses `init` for an overridden provider; `get` installs the local module only.
step "Installing the quickstart's module"
tf get -no-color

step "terraform apply"
tf apply -auto-approve -no-color -compact-warnings

step "Outputs"
tf output -no-color

step "terraform plan: expecting no changes"
set +e
tf plan -detailed-exitcode -no-color -compact-warnings
plan_rc=$?
set -e
case "$plan_rc" in
    0) echo "No changes: the state matches the emulator." ;;
    2) die "the second plan proposed changes (perpetual diff)" ;;
    *) die "terraform plan failed (exit $plan_rc)" ;;
esac

step "terraform destroy"
tf destroy -auto-approve -no-color -compact-warnings

step "Done: applied, planned no changes, destroyed"
