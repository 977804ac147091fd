"""Runs scripts/live-check.sh against the emulator in one dialect and checks its findings.

So the maintainers' live check is not dead code: it runs here exactly as on a real account (the
same script, only --endpoint differs), and what it reports for each open point must be the reading
the dialect plays. It must also leave nothing behind: no PolarDB backup of the cluster after it.

Usage: python live_emulator.py --bin-dir target/debug --root REPO --dialect documented|strict
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import emu

CLUSTER = "pc-livecheck0001"
INSTANCE = "pxc-livecheck0001"
# PolarDB-X backup sets made before the run, as an account's history: more than the strict
# dialect's page cap, so live-check's large page shows whether the server capped it.
SEEDED_SETS = 7

# What live-check must find under each dialect (see docs/api-notes.md). Keys are
# "pointN.finding"; a finding not listed here is printed but not compared.
EXPECTED = {
    "documented": {
        "point1.ids": "same",
        "point1.finished_job": "removed",
        "point2.running_listed": True,
        "point3.post_list": "accepted",
        "point4.polardb_missing_cluster": "404-InvalidDBCluster.NotFound",
        "point4.polardbx_missing_instance": "404-InvalidDBInstanceName.NotFound",
        "point5.probed": False,
        "point6.polardbx_page": SEEDED_SETS,
        "point6.polardbx_cap": False,
        "point8.v2_form_body": "accepted",
        "point8.v2_query": "accepted",
    },
    "strict": {
        "point1.ids": "distinct",
        "point1.finished_job": "removed",
        "point2.running_listed": False,
        "point3.post_list": "refused",
        "point4.polardb_missing_cluster": "404-InvalidDBCluster.NotFound",
        "point4.polardbx_missing_instance": "200-success-false-no-code",
        "point5.probed": False,
        "point6.polardbx_page": 5,  # the emulator's page-cap
        "point6.polardbx_cap": True,
        "point8.v2_form_body": "accepted",
        "point8.v2_query": "accepted",
    },
}


def seed_sets(e):
    """Creates SEEDED_SETS PolarDB-X backup sets with the official SDK (strict answers every
    other create with a 502 after committing it: the set exists all the same)."""
    from alibabacloud_polardbx20200202 import models as pdbx
    from alibabacloud_polardbx20200202.client import Client
    from alibabacloud_tea_openapi import models as openapi

    client = Client(openapi.Config(
        access_key_id=emu.ACCESS_KEY_ID, access_key_secret=emu.ACCESS_KEY_SECRET,
        endpoint=e.polardbx_url.removeprefix("http://"), protocol="http", region_id=emu.REGION))
    for _ in range(SEEDED_SETS):
        try:
            client.create_backup(pdbx.CreateBackupRequest(
                region_id=emu.REGION, dbinstance_name=INSTANCE, backup_type="0"))
        except Exception as err:  # the strict dialect's 502 after a committed create
            if "502" not in str(err):
                raise
    sets = [b for b in e.admin("backups") if INSTANCE in json.dumps(b)]
    assert len(sets) == SEEDED_SETS, f"seeding made {len(sets)} sets, not {SEEDED_SETS}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin-dir", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--dialect", default="documented", choices=sorted(EXPECTED))
    args = p.parse_args()
    out = tempfile.NamedTemporaryFile(prefix="live-check-", suffix=".json", delete=False).name
    try:
        # A backup of 4 s: long enough for the check to see it running on a loaded machine.
        with emu.Emulator(os.path.join(args.bin_dir, "alicloud-emulator"), args.dialect,
                          CLUSTER, INSTANCE, backup_duration="4s") as e:
            seed_sets(e)
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("ALICLOUD_", "ALIBABA_CLOUD_", "ALIBABACLOUD_"))}
            env.update(ALIBABA_CLOUD_ACCESS_KEY_ID=emu.ACCESS_KEY_ID,
                       ALIBABA_CLOUD_ACCESS_KEY_SECRET=emu.ACCESS_KEY_SECRET)
            cmd = [os.path.join(args.root, "scripts", "live-check.sh"), "--region", emu.REGION,
                   "--cluster", CLUSTER, "--instance", INSTANCE, *e.endpoint_args(),
                   "--poll", "0.25", "--timeout", "120", "--json", out]
            run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            sys.stdout.write(run.stdout)
            if run.returncode != 0:
                raise AssertionError(f"live-check.sh exited {run.returncode}: {run.stderr[-3000:]}")
            with open(out) as f:
                found = json.load(f)
            left = [b for b in e.admin("backups") if CLUSTER in json.dumps(b)
                    and "Deleted" not in json.dumps(b)]
        wrong = []
        for key, want in EXPECTED[args.dialect].items():
            point, name = key.split(".")
            got = found.get(point, {}).get(name, "<missing>")
            if got != want:
                wrong.append(f"{key}: found {got!r}, the {args.dialect} dialect plays {want!r}")
        assert not wrong, "live-check's findings differ from the dialect:\n  " + "\n  ".join(wrong)
        assert not left, f"live-check left backups behind: {left}"
    except Exception as err:
        print(f"FAIL live-check.sh against the emulator ({args.dialect}): {err}", file=sys.stderr)
        sys.exit(1)
    finally:
        os.unlink(out)
    print(f"PASS live-check.sh against the emulator ({args.dialect}): "
          f"{len(EXPECTED[args.dialect])} findings as the dialect plays them")


if __name__ == "__main__":
    main()
