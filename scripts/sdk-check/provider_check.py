"""The provider's requests, checked by the official SDK's code, through the real terraform.

Starts the emulator (in the given dialect) and two signature-checking proxies in front of it (one
per product endpoint; see sign_proxy.py), then runs examples/quickstart through terraform with
dev_overrides to the built provider: apply, plan (must be empty), destroy, with
`signature_version` set by an override file. Fails if any request was refused or differs in shape
from the official SDK's, if a request reached the emulator without passing a proxy, or if a PolarDB
backup is left after destroy. Prints the count of checked requests per action.

Usage: python provider_check.py --bin-dir target/debug --root REPO --dialect documented
       --signature v2|v3
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import emu
from sign_proxy import Proxy

CLUSTER = "pc-signcheck0001"
INSTANCE = "pxc-signcheck0001"
PROVIDER_ADDRESS = "registry.terraform.io/polardb-tools/alicloud"


# Each terraform command gets this long (a normal one takes seconds here); a provider that waits
# for something the emulator will never report must fail the check, not hang CI.
COMMAND_TIMEOUT_S = 300


def terraform(work, env, *args, ok=(0,)):
    cmd = ["terraform", f"-chdir={work}", *args]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # terraform and the provider processes it started
        out, err = p.communicate()
        raise AssertionError(f"`terraform {' '.join(args)}` did not finish in "
                             f"{COMMAND_TIMEOUT_S} s\n--- stdout:\n{out[-4000:]}\n"
                             f"--- stderr:\n{err[-4000:]}")
    if p.returncode not in ok:
        raise AssertionError(f"`terraform {' '.join(args)}` exited {p.returncode}\n"
                             f"--- stdout:\n{out[-4000:]}\n--- stderr:\n{err[-4000:]}")


def run(args):
    version = {"v2": "V2", "v3": "V3"}[args.signature]
    tmp = tempfile.mkdtemp(prefix="provider-check-")
    try:
        with emu.Emulator(os.path.join(args.bin_dir, "alicloud-emulator"), args.dialect,
                          CLUSTER, INSTANCE, backup_duration="1s") as e:
            self_test(e)
            baseline = len([x for x in e.admin("requests") if x.get("action")])
            upstream = {"PolarDB": e.polardb_url, "PolarDB-X": e.polardbx_url}
            proxies = {p: Proxy(upstream[p], emu.ACCESS_KEY_ID, emu.ACCESS_KEY_SECRET, version,
                                expect_product=p).start() for p in upstream}
            try:
                run_terraform(args, tmp, proxies)
            finally:
                for p in proxies.values():
                    p.stop()
            checked, failures, forwarded, differences = {}, [], 0, {}
            for p in proxies.values():
                r = p.report()
                forwarded += r["forwarded"]
                failures += r["failures"]
                differences.update(r["shape_differences"])
                for label, n in r["checked"].get(version, {}).items():
                    checked[label] = checked.get(label, 0) + n
            api_log = [x for x in e.admin("requests") if x.get("action")][baseline:]
            left = [b for b in e.admin("backups") if _is_polardb(b)]
            print(f"  self-test passed: the SDK's own V2 and V3 requests pass, a wrong secret is "
                  f"refused")
            print(f"  requests checked ({version}, {args.dialect}): "
                  + json.dumps(dict(sorted(checked.items()))))
            known = load_known(args.known)
            for key in sorted(differences):
                tag = "KNOWN" if key in known else "DIFFERS"
                print(f"  {tag} {key}: {'; '.join(differences[key])}")
                if key not in known:
                    failures.append(f"{key} differs from the official SDK (see above)")
            for key in sorted(k for k in known if f" {version} " in k):
                if key not in differences and checked.get(key.split(" ", 2)[2]):
                    print(f"  FIXED {key}: it is sent as the SDK sends it now; delete its line "
                          f"from {args.known}")
            assert not failures, "requests refused or different from the official SDK's:\n  " + \
                "\n  ".join(failures)
            assert sum(checked.values()) > 0, "no request was checked"
            assert len(api_log) == forwarded, \
                f"the emulator saw {len(api_log)} API requests, the proxies forwarded {forwarded}"
            for action in ("PolarDB CreateBackup", "PolarDB DeleteBackup",
                           "PolarDB-X CreateBackup"):
                assert checked.get(action), f"no {action} request was checked"
            assert not left, f"PolarDB backups left after destroy: {left}"
            return checked
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def self_test(e):
    """The proxy passes the official SDK's own requests with no difference, and refuses them
    when signed with a wrong secret: the checker itself is checked before it judges."""
    import time

    from alibabacloud_polardb20170801 import models as pdb
    from alibabacloud_polardb20170801.client import Client
    from alibabacloud_tea_openapi import models as openapi

    proxy = Proxy(e.polardb_url, emu.ACCESS_KEY_ID, emu.ACCESS_KEY_SECRET).start()
    try:
        now = time.time()
        request = pdb.DescribeBackupsRequest(
            dbcluster_id=CLUSTER, page_size=30, page_number=1,
            start_time=time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(now - 3600)),
            end_time=time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(now + 3600)))
        for algorithm in (None, "v2"):
            for secret, accepted in ((emu.ACCESS_KEY_SECRET, True), ("WrongSecret", False)):
                cfg = openapi.Config(access_key_id=emu.ACCESS_KEY_ID, access_key_secret=secret,
                                     endpoint=proxy.url.removeprefix("http://"),
                                     protocol="http", region_id=emu.REGION)
                if algorithm:
                    cfg.signature_algorithm = algorithm
                before = len(proxy.report()["failures"])
                try:
                    Client(cfg).describe_backups(request)
                    passed = True
                except Exception as err:  # the SDK's ClientException
                    passed = False
                    assert getattr(err, "code", None) == "SignatureDoesNotMatch", repr(err)
                refused = len(proxy.report()["failures"]) > before
                assert passed == accepted and refused != accepted, \
                    f"self-test: SDK request ({algorithm or 'v3'}, secret ok: {accepted}) " \
                    f"passed={passed}, refused={refused}"
        r = proxy.report()
        assert not r["shape_differences"], f"self-test: the SDK differs from itself: {r}"
        assert r["checked"].get("V2") and r["checked"].get("V3"), r
    finally:
        proxy.stop()


def load_known(path):
    """The accepted differences: one `KIND VERSION Product Action` per line, # comments."""
    if not path or not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return {line.split("#", 1)[0].strip() for line in f} - {""}


def _is_polardb(backup):
    text = json.dumps(backup)
    return CLUSTER in text and "Deleted" not in text


def run_terraform(args, tmp, proxies):
    work = os.path.join(tmp, "quickstart")
    shutil.copytree(os.path.join(args.root, "examples", "quickstart"), work,
                    ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    # An override file sets the signature version without editing the example.
    with open(os.path.join(work, "checks_override.tf"), "w") as f:
        f.write(f'provider "alicloud" {{\n  signature_version = "{args.signature}"\n}}\n')
    rc = os.path.join(tmp, "checks.tfrc")
    with open(rc, "w") as f:
        f.write('provider_installation {\n  dev_overrides {\n'
                f'    "{PROVIDER_ADDRESS}" = "{os.path.abspath(args.bin_dir)}"\n'
                '  }\n  direct {}\n}\n')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALICLOUD_", "ALIBABA_CLOUD_", "ALIBABACLOUD_", "TF_"))}
    env.update({
        "TF_CLI_CONFIG_FILE": rc, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "ALIBABA_CLOUD_ENDPOINT_POLARDB": proxies["PolarDB"].url,
        "ALIBABA_CLOUD_ENDPOINT_POLARDBX": proxies["PolarDB-X"].url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": emu.ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emu.ACCESS_KEY_SECRET,
        "ALIBABA_CLOUD_REGION": emu.REGION,
        "TF_VAR_region": emu.REGION, "TF_VAR_db_cluster_id": CLUSTER,
        "TF_VAR_db_instance_name": INSTANCE,
    })
    terraform(work, env, "get", "-no-color")
    terraform(work, env, "apply", "-auto-approve", "-no-color", "-compact-warnings")
    terraform(work, env, "plan", "-detailed-exitcode", "-no-color", "-compact-warnings")
    terraform(work, env, "destroy", "-auto-approve", "-no-color", "-compact-warnings")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin-dir", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--dialect", default="documented")
    p.add_argument("--signature", choices=("v2", "v3"), required=True)
    p.add_argument("--known", default=os.path.join(os.path.dirname(__file__),
                                                   "known-differences.txt"),
                   help="differences from the SDK's request shape accepted for now")
    args = p.parse_args()
    try:
        run(args)
    except Exception as e:  # print the whole story, then fail
        print(f"FAIL provider via signature proxy ({args.signature}, {args.dialect}): {e}",
              file=sys.stderr)
        sys.exit(1)
    print(f"PASS provider via signature proxy ({args.signature}, {args.dialect})")


if __name__ == "__main__":
    main()
