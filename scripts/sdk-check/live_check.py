"""Settles issue 10's open points 1-8 on a real Alibaba Cloud account, with the official SDKs.

Run by scripts/live-check.sh (which makes the venv). Depends on nothing of this project: only the
official Python SDKs (alibabacloud_polardb20170801, alibabacloud_polardbx20200202) and the
standard library.

What it does, in order (about 20 API calls; one write and its undo):
  * creates ONE manual PolarDB backup of --cluster, with a unique Comment and ClientToken;
  * follows its job in DescribeBackupTasks and, meanwhile, looks for it in DescribeBackups;
  * identifies the finished backup (same ID as the job, or else the only manual backup in the
    window that carries this run's unique Comment), then deletes exactly that backup;
  * reads the rest: PolarDB-X DescribeBackupSetList (GET as the SDK sends it, and once as POST),
    large page sizes, calls on objects that do not exist (error shapes), and one V2 request with
    its action parameters in a form body instead of the query.
It never creates a PolarDB-X backup set (they cannot be deleted), and never deletes or changes
anything it did not create: a backup it cannot identify with certainty is left alone and named.

Prints one finding per point and, with --json FILE, writes them as JSON (scripts/test.sh runs this
against the emulator in each dialect and compares the findings with the dialect's reading).

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALICLOUD_ACCESS_KEY /
ALICLOUD_SECRET_KEY), and ALIBABA_CLOUD_SECURITY_TOKEN for temporary credentials.
"""

import argparse
import calendar
import json
import os
import sys
import time
import uuid

from alibabacloud_polardb20170801 import models as pdb
from alibabacloud_polardb20170801.client import Client as PolardbClient
from alibabacloud_polardbx20200202 import models as pdbx
from alibabacloud_polardbx20200202.client import Client as PolardbxClient
from alibabacloud_tea_openapi import models as openapi
from alibabacloud_tea_openapi import utils_models as openapi_util
from darabonba.runtime import RuntimeOptions

RUNNING = ("NoStart", "Preparing", "Waiting", "Uploading", "Checking")


def env(*names):
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def minute(t):
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(t))


def parse_time(text):
    """Epoch seconds of `yyyy-MM-ddTHH:mm[:ss]Z`, or None."""
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ"):
        try:
            return calendar.timegm(time.strptime(text or "", fmt))
        except ValueError:
            continue
    return None


def identify(new, job, comment, job_start):
    """This run's backup among the manual backups that appeared since it started: the one whose
    BackupId is the job's; else the one with this run's Comment (when the listing returns
    comments); else the one that started within two minutes of the job. Returns (matches, how)."""
    same = [b for b in new if b.backup_id == job]
    if same:
        return same, "by its BackupId (the job's)"
    if any(b.comment for b in new):
        return [b for b in new if b.comment == comment], "by its Comment"
    near = [b for b in new if parse_time(b.backup_start_time) is not None
            and abs(parse_time(b.backup_start_time) - job_start) <= 120]
    return near, "by its start time (the listing returns no Comment)"


def error_shape(status, body, code):
    """`STATUS-CODE` of an error, `200-success-false[-no-code]` or `200-success`."""
    body = body if isinstance(body, dict) else {}
    if code is None and body.get("Success") is False:
        return "200-success-false" + ("" if body.get("Code") else "-no-code")
    if code is None:
        return "200-success"
    return f"{status}-{code}"


class Run:
    def __init__(self, args):
        self.args = args
        self.findings = {}
        key_id = env("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", "ALICLOUD_ACCESS_KEY_ID")
        secret = env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY",
                     "ALICLOUD_ACCESS_KEY_SECRET")
        if not key_id or not secret:
            raise SystemExit("live-check: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                             "ALIBABA_CLOUD_ACCESS_KEY_SECRET (an AccessKey of the account to "
                             "check) and run again")
        token = env("ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN")

        def config(endpoint, v2=False):
            cfg = openapi.Config(access_key_id=key_id, access_key_secret=secret,
                                 security_token=token, region_id=args.region)
            if endpoint:
                scheme, _, host = endpoint.rpartition("://")
                cfg.endpoint = host
                cfg.protocol = scheme or "https"
            if v2:
                cfg.signature_algorithm = "v2"
            return cfg

        self.polardb = PolardbClient(config(args.polardb_endpoint or args.endpoint))
        self.polardb_v2 = PolardbClient(config(args.polardb_endpoint or args.endpoint, v2=True))
        self.polardbx = PolardbxClient(config(args.polardbx_endpoint or args.endpoint))
        self.calls = 0

    def note(self, point, key, value, text):
        self.findings.setdefault(f"point{point}", {})[key] = value
        print(f"  point {point}: {text}")

    def call(self, fn, *a):
        self.calls += 1
        return fn(*a)

    def raw(self, client, version, action, method, query=None, body=None):
        """One request through the SDK's generic call_api, with a method or placement of our
        choosing. Returns (HTTP status, JSON body, error code or None)."""
        params = openapi_util.Params(action=action, version=version, protocol="HTTPS",
                                     pathname="/", method=method, auth_type="AK", style="RPC",
                                     req_body_type="formData", body_type="json")
        request = openapi_util.OpenApiRequest(query=query, body=body)
        self.calls += 1
        try:
            r = client.call_api(params, request, RuntimeOptions())
            return r.get("statusCode"), r.get("body"), None
        except Exception as e:  # the SDK's ClientException / ServerException
            data = getattr(e, "data", None) or {}
            status = getattr(e, "status_code", None) or data.get("statusCode")
            return status, data, getattr(e, "code", None) or type(e).__name__

    # --- PolarDB: the one backup this run creates (points 1, 2, 7) --------------------------

    def describe_backups(self, page_size=30, start=None):
        now = time.time()
        start = start or now - 3600
        return self.call(self.polardb.describe_backups, pdb.DescribeBackupsRequest(
            dbcluster_id=self.args.cluster, start_time=minute(start),
            end_time=minute(now + 3600), page_size=page_size, page_number=1)).body

    def polardb_backup(self):
        comment = f"live-check {uuid.uuid4().hex[:12]}"
        started = time.time()
        before = {b.backup_id for b in self.describe_backups().items.backup or []}
        created = self.call(self.polardb.create_backup, pdb.CreateBackupRequest(
            dbcluster_id=self.args.cluster, client_token=uuid.uuid4().hex, comment=comment))
        job = created.body.backup_job_id
        print(f"  created a manual backup of {self.args.cluster}: BackupJobId {job}, "
              f"Comment {comment!r}")
        self.created = {"job": job, "comment": comment, "backup": None}

        listed_while_running = None   # True / False once a listing was taken while running
        job_after_finish = None       # "kept" (listed as Finished) or "removed"
        job_start = started           # the job's StartTime once DescribeBackupTasks gives it
        deadline = time.monotonic() + self.args.timeout
        mine, how = None, None
        while time.monotonic() < deadline:
            tasks = self.call(self.polardb.describe_backup_tasks, pdb.DescribeBackupTasksRequest(
                dbcluster_id=self.args.cluster, backup_job_id=job)).body.items.backup_job or []
            for t in tasks:
                job_start = parse_time(t.start_time) or job_start
            running_before = any(t.backup_progress_status in RUNNING for t in tasks)
            new = [b for b in (self.describe_backups().items.backup or [])
                   if b.backup_id not in before and b.backup_mode == "Manual"]
            if running_before:
                tasks_after = self.call(
                    self.polardb.describe_backup_tasks, pdb.DescribeBackupTasksRequest(
                        dbcluster_id=self.args.cluster, backup_job_id=job)
                ).body.items.backup_job or []
                if any(t.backup_progress_status in RUNNING for t in tasks_after):
                    listed_while_running = bool(new) or bool(listed_while_running)
            ours, how = identify(new, job, comment, job_start)
            finished = [b for b in ours if b.backup_status == "Success"]
            if finished and not running_before:
                job_after_finish = "kept" if tasks else "removed"
                mine = finished
                break
            time.sleep(self.args.poll)
        if not mine:
            raise SystemExit(f"live-check: backup job {job} did not finish within "
                             f"{self.args.timeout:.0f} s, or its backup could not be told "
                             f"apart; it is left for you to delete (Comment {comment!r})")
        if len(mine) != 1:
            raise SystemExit(f"live-check: {len(mine)} finished backups match job {job} {how}; "
                             f"none was deleted: {[b.backup_id for b in mine]}")
        backup = mine[0]
        self.created["backup"] = backup.backup_id
        same = backup.backup_id == job
        self.note(1, "ids", "same" if same else "distinct",
                  f"BackupJobId {job} {'equals' if same else 'differs from'} the BackupId "
                  f"{backup.backup_id} DescribeBackups and DeleteBackup use; after finishing, "
                  f"the job is {job_after_finish} in DescribeBackupTasks")
        self.findings["point1"]["finished_job"] = job_after_finish
        self.findings["point1"]["identified"] = how
        print(f"  point 1: the finished backup was identified {how}")
        if listed_while_running is None:
            self.note(2, "running_listed", "unseen", "the backup finished before a listing "
                      "could be taken while it ran: not settled, run again on a larger cluster")
        else:
            self.note(2, "running_listed", listed_while_running,
                      "DescribeBackups lists a running backup" if listed_while_running else
                      "DescribeBackups lists a backup only once it has finished")
        echoed = (backup.comment or "") == comment
        self.note(7, "comment", "echoed" if echoed else "absent",
                  f"DescribeBackups returns the Comment sent to CreateBackup: {backup.comment!r}")
        self.findings["point7"]["started_s"] = round(time.time() - started, 1)

    def delete_created(self):
        backup = self.created and self.created.get("backup")
        if not backup:
            return
        self.call(self.polardb.delete_backup, pdb.DeleteBackupRequest(
            dbcluster_id=self.args.cluster, backup_id=backup))
        print(f"  deleted backup {backup} (created by this run)")
        self.created["backup"] = None

    # --- Reads only: points 3, 4, 6, 8 ------------------------------------------------------

    def polardbx_reads(self):
        now_ms = int(time.time() * 1000)
        query = {"RegionId": self.args.region, "DBInstanceName": self.args.instance,
                 "StartTime": str(now_ms - 7 * 86400_000), "EndTime": str(now_ms),
                 "PageNumber": "1", "PageSize": "1000"}
        status_get, body_get, code_get = self.raw(self.polardbx, "2020-02-02",
                                                  "DescribeBackupSetList", "GET", query=query)
        status_post, _, code_post = self.raw(self.polardbx, "2020-02-02",
                                             "DescribeBackupSetList", "POST", query=query)
        self.note(3, "post_list", "accepted" if code_post is None else "refused",
                  f"DescribeBackupSetList: GET -> {status_get} {code_get or 'ok'}, POST -> "
                  f"{status_post} {code_post or 'ok'}")
        sets = ((body_get or {}).get("Data") or []) if code_get is None else []
        more = []
        if 0 < len(sets) < 1000:  # a short first page: is there a second one?
            _, body2, code2 = self.raw(self.polardbx, "2020-02-02", "DescribeBackupSetList",
                                       "GET", query={**query, "PageNumber": "2"})
            more = ((body2 or {}).get("Data") or []) if code2 is None else []
        self.note(6, "polardbx_page", len(sets),
                  f"DescribeBackupSetList with PageSize 1000 returned {len(sets)} set(s) on "
                  f"page 1 and {len(more)} on page 2"
                  + (": the server capped the page size" if more else ""))
        self.findings["point6"]["polardbx_cap"] = bool(more)

        missing = str(now_ms)  # a backup set ID that cannot exist yet
        status, body, code = self.raw(self.polardbx, "2020-02-02", "DescribeBackupSet", "POST",
                                      query={"RegionId": self.args.region,
                                             "DBInstanceName": self.args.instance,
                                             "BackupSetId": missing})
        body = body or {}
        self.note(4, "polardbx_missing_set", error_shape(status, body, code),
                  f"DescribeBackupSet of a set that does not exist: HTTP {status}, code "
                  f"{code or body.get('Code')!r}, Success {body.get('Success')!r}, message "
                  f"{body.get('Message')!r}")
        status, body, code = self.raw(self.polardbx, "2020-02-02", "DescribeBackupSetList",
                                      "GET", query={**query, "DBInstanceName": "pxc-livecheck-none"})
        self.findings["point4"]["polardbx_missing_instance"] = error_shape(status, body, code)
        print(f"  point 4: DescribeBackupSetList of an instance that does not exist: HTTP "
              f"{status}, code {code or (body or {}).get('Code')!r}, Success "
              f"{(body or {}).get('Success')!r}, message {(body or {}).get('Message')!r}")
        status, body, code = self.raw(self.polardb, "2017-08-01", "DescribeBackups", "POST",
                                      query={"DBClusterId": "pc-livecheck-none",
                                             "StartTime": minute(time.time() - 3600),
                                             "EndTime": minute(time.time())})
        self.findings["point4"]["polardb_missing_cluster"] = error_shape(status, body, code)
        print(f"  point 4: DescribeBackups of a cluster that does not exist: HTTP {status}, "
              f"code {code!r}")

    def polardb_reads(self):
        listing = self.describe_backups(page_size=100, start=time.time() - 7 * 86400)
        items = listing.items.backup or []
        total = int(listing.total_record_count or 0)
        capped = len(items) < min(total, 100)
        self.note(6, "polardb_cap", capped,
                  f"DescribeBackups with PageSize 100: {len(items)} of {total} backup(s) on "
                  f"page 1, answer's PageRecordCount {listing.page_record_count!r}"
                  + (": the server capped the page" if capped else ""))
        now = time.time()
        form = {"DBClusterId": self.args.cluster, "StartTime": minute(now - 3600),
                "EndTime": minute(now + 3600), "PageSize": "30", "PageNumber": "1"}
        _, _, code_body = self.raw(self.polardb_v2, "2017-08-01", "DescribeBackups", "POST",
                                   body=form)
        _, _, code_query = self.raw(self.polardb_v2, "2017-08-01", "DescribeBackups", "POST",
                                    query=form)
        self.note(8, "v2_form_body", "accepted" if code_body is None else "refused",
                  f"V2 DescribeBackups with its parameters in a form body: "
                  f"{code_body or 'accepted'}; in the query (as the SDK sends it): "
                  f"{code_query or 'accepted'}")
        self.findings["point8"]["v2_query"] = "accepted" if code_query is None else "refused"

    def main(self):
        print(f"live-check of {self.args.cluster} and {self.args.instance} in "
              f"{self.args.region}" + (f" at {self.args.endpoint}" if self.args.endpoint else ""))
        self.created = None
        try:
            self.polardb_backup()
        finally:
            self.delete_created()
        self.polardb_reads()
        self.polardbx_reads()
        self.note(5, "probed", False, "not probed: it would need a PolarDB-X CreateBackup, which "
                  "leaves a backup set nobody can delete; the provider treats every 5xx and "
                  "timeout after CreateBackup as ambiguous and adopts")
        print(f"done: {self.calls} API calls")
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump(self.findings, f, indent=2, sort_keys=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--region", required=True)
    p.add_argument("--cluster", required=True, help="PolarDB cluster ID (pc-...)")
    p.add_argument("--instance", required=True, help="PolarDB-X instance name (pxc-...)")
    p.add_argument("--endpoint", help="one endpoint for both products, e.g. http://127.0.0.1:PORT "
                                      "(the emulator); default: the SDKs' public endpoints")
    p.add_argument("--polardb-endpoint")
    p.add_argument("--polardbx-endpoint")
    p.add_argument("--timeout", type=float, default=3600.0,
                   help="seconds to wait for the backup to finish (default 3600)")
    p.add_argument("--poll", type=float, default=15.0, help="seconds between polls (default 15)")
    p.add_argument("--json", help="also write the findings to this file")
    Run(p.parse_args()).main()


if __name__ == "__main__":
    main()
