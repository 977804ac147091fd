"""Drives the official Alibaba Cloud Python SDKs against a running alicloud-emulator.

Proves that requests from the SDKs (PyPI alibabacloud_polardb20170801 and
alibabacloud_polardbx20200202) are accepted unchanged and that their models parse the emulator's
responses. Runs every call twice: once with the SDK's default signing (V3, ACS3-HMAC-SHA256) and
once with signature_algorithm="v2" (HMAC-SHA1). The signature version actually used is read back
from the emulator's request log.

Usage: python check.py --endpoint 127.0.0.1:PORT --cluster pc-... --instance pxc-...
       [--key ID --secret SECRET] [--backup-duration-s 1]
"""

import argparse
import json
import sys
import time
import urllib.request
import uuid
from importlib import metadata

from alibabacloud_polardb20170801 import models as pdb
from alibabacloud_polardb20170801.client import Client as PolardbClient
from alibabacloud_polardbx20200202 import models as pdbx
from alibabacloud_polardbx20200202.client import Client as PolardbxClient
from alibabacloud_tea_openapi import models as openapi

CALLS = []


def step(name):
    """Records a call as it passes, so the summary lists exactly what ran."""
    CALLS.append(name)
    print(f"  ok  {name}")


def config(args, signature):
    cfg = openapi.Config(
        access_key_id=args.key,
        access_key_secret=args.secret,
        endpoint=args.endpoint,
        protocol="http",
        region_id="cn-hangzhou",
    )
    if signature == "v2":
        cfg.signature_algorithm = "v2"
    return cfg


def admin(args, path):
    with urllib.request.urlopen(f"http://{args.endpoint}/_emulator/{path}") as r:
        return json.loads(r.read())


def minute(t):
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(t))


def polardb_round(args, signature):
    c = PolardbClient(config(args, signature))
    token = uuid.uuid4().hex
    r = c.create_backup(pdb.CreateBackupRequest(dbcluster_id=args.cluster, client_token=token))
    job = r.body.backup_job_id
    assert isinstance(job, str) and job, r.body.to_map()
    assert r.body.request_id, r.body.to_map()
    step(f"polardb CreateBackup [{signature}] -> BackupJobId {job}")

    again = c.create_backup(pdb.CreateBackupRequest(dbcluster_id=args.cluster, client_token=token))
    assert again.body.backup_job_id == job, (job, again.body.to_map())
    step(f"polardb CreateBackup repeated ClientToken [{signature}] -> same job")

    t = c.describe_backup_tasks(pdb.DescribeBackupTasksRequest(dbcluster_id=args.cluster, backup_job_id=job))
    tasks = t.body.items.backup_job
    assert len(tasks) == 1 and tasks[0].backup_job_id == job, t.body.to_map()
    assert tasks[0].backup_progress_status in (
        "NoStart", "Preparing", "Waiting", "Uploading", "Checking", "Finished"), t.body.to_map()
    step(f"polardb DescribeBackupTasks [{signature}] -> {tasks[0].backup_progress_status} {tasks[0].process}%")

    time.sleep(args.backup_duration_s + 0.5)
    now = time.time()
    d = c.describe_backups(pdb.DescribeBackupsRequest(
        dbcluster_id=args.cluster, start_time=minute(now - 3600), end_time=minute(now + 3600),
        page_size=30, page_number=1))
    found = [b for b in d.body.items.backup if b.backup_id == job]
    assert found and found[0].backup_status == "Success", d.body.to_map()
    b = found[0]
    assert b.backup_method == "Snapshot" and b.backup_mode == "Manual" and b.backup_type == "FullBackup", b.to_map()
    assert int(b.backup_set_size) > 0 and b.dbcluster_id == args.cluster, b.to_map()
    assert int(d.body.total_record_count) >= 1 and d.body.page_number == "1", d.body.to_map()
    step(f"polardb DescribeBackups [{signature}] -> {b.backup_status}, {b.backup_set_size} bytes")

    t = c.describe_backup_tasks(pdb.DescribeBackupTasksRequest(dbcluster_id=args.cluster, backup_job_id=job))
    assert t.body.items.backup_job == [], t.body.to_map()
    step(f"polardb DescribeBackupTasks after completion [{signature}] -> no task")

    c.delete_backup(pdb.DeleteBackupRequest(dbcluster_id=args.cluster, backup_id=job))
    step(f"polardb DeleteBackup [{signature}]")

    try:
        c.delete_backup(pdb.DeleteBackupRequest(dbcluster_id=args.cluster, backup_id=job))
        raise AssertionError("second DeleteBackup should fail")
    except Exception as e:  # the SDK's ClientException
        code = getattr(e, "code", None)
        status = getattr(e, "status_code", None) or getattr(e, "statusCode", None)
        assert code == "InvalidBackupId.NotFound", repr(e)
        assert getattr(e, "request_id", None), repr(e)
        step(f"polardb DeleteBackup of a deleted backup [{signature}] -> {status} {code}")


def polardbx_round(args, signature):
    c = PolardbxClient(config(args, signature))
    r = c.create_backup(pdbx.CreateBackupRequest(
        region_id="cn-hangzhou", dbinstance_name=args.instance, backup_type="0"))
    assert r.body.success is True, r.body.to_map()
    set_id = r.body.data.backup_set_id
    assert set_id, r.body.to_map()
    step(f"polardbx CreateBackup [{signature}] -> BackupSetId {set_id}")

    now_ms = int(time.time() * 1000)
    req = pdbx.DescribeBackupSetListRequest(
        dbinstance_name=args.instance, region_id="cn-hangzhou",
        start_time=now_ms - 3600_000, end_time=now_ms + 3600_000, page_number=1, page_size=10)
    l = c.describe_backup_set_list(req)
    mine = [s for s in l.body.data if str(s.backup_set_id) == str(set_id)]
    assert mine and mine[0].status == 0, l.body.to_map()
    step(f"polardbx DescribeBackupSetList [{signature}] -> Status 0")

    time.sleep(args.backup_duration_s + 0.5)
    l = c.describe_backup_set_list(req)
    mine = [s for s in l.body.data if str(s.backup_set_id) == str(set_id)]
    assert mine and mine[0].status == 1 and mine[0].end_time > mine[0].begin_time, l.body.to_map()
    step(f"polardbx DescribeBackupSetList after completion [{signature}] -> Status 1")

    s = c.describe_backup_set(pdbx.DescribeBackupSetRequest(
        backup_set_id=str(set_id), dbinstance_name=args.instance, region_id="cn-hangzhou"))
    assert s.body.data and s.body.data[0].status == 1, s.body.to_map()
    step(f"polardbx DescribeBackupSet [{signature}] -> Status 1, {s.body.data[0].backup_set_size} bytes")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--cluster", required=True)
    p.add_argument("--instance", required=True)
    p.add_argument("--key", default="LTAIEmulatorKey")
    p.add_argument("--secret", default="EmulatorSecret")
    p.add_argument("--backup-duration-s", type=float, default=1.0)
    args = p.parse_args()

    versions = {n: metadata.version(n) for n in (
        "alibabacloud_polardb20170801", "alibabacloud_polardbx20200202", "alibabacloud_tea_openapi")}
    print("SDK versions:", json.dumps(versions))
    for signature in ("default", "v2"):
        print(f"signing: {signature}")
        polardb_round(args, signature)
        polardbx_round(args, signature)

    log = admin(args, "requests")
    used = {}
    for entry in log:
        used.setdefault(entry.get("signature"), 0)
        used[entry.get("signature")] += 1
    print("signature versions seen by the emulator:", json.dumps(used))
    first = [e["signature"] for e in log[:1]]
    assert first == ["V3"], f"SDK default should sign V3, emulator saw {first}"
    assert "V2" in used, "the v2 round should sign V2"
    print(f"PASS: {len(CALLS)} checks")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # print the whole story, then fail
        import traceback
        traceback.print_exc()
        print(f"FAIL: {e!r}", file=sys.stderr)
        sys.exit(1)
