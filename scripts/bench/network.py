#!/usr/bin/env python3
"""The network half of the benchmark (docs/performance.md, "Latency" and "Fleet"), run by
`scripts/bench.sh --latency` and `scripts/bench.sh --fleet`. Not a test: nothing here asserts
a time; it prints tables of measured wall time, API calls and their bounds.

Latency: N = 200 backups (100 PolarDB over enough clusters for the three-backup quota, 100
PolarDB-X over 2 instances) through the real terraform against the emulator with 0 ms, then
100 ms and 250 ms added to every API call. For each phase the bound is
    (that phase's wall time at 0 ms) + (API calls of the phase x latency / parallelism),
with Terraform's default parallelism of 10; the target is wall within 1.25x of the bound.
`--latency-pacing both` runs it again with the provider's pacing off, to show what the slow
start costs a workspace alone on its account.

Fleet: W workspaces (own directory, own terraform process) each apply B PolarDB-X backups at
the same moment against one emulator limited to R requests per second per action, once with the
provider's pacing on and once with it off. The rate bound is max over actions of
(accepted calls of that action / R): a throttled call takes no token; the target is total wall within 1.3x of it, throttled answers at
most 10% of all calls, and every backup created exactly once."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import EMU_KEY, EMU_SECRET, Emulator, ceil_div, cli_config, hcl_list, ids, log  # noqa: E402

PARALLELISM = 10
ADDRESS = "registry.terraform.io/polardb-tools/alicloud"
# Switches the provider's adaptive pacing off (for the side-by-side fleet run only).
PACING_ENV = "ALICLOUD_PACING"


def provider_block(url):
    return f'''terraform {{
  required_providers {{
    alicloud = {{ source = "polardb-tools/alicloud" }}
  }}
}}

provider "alicloud" {{
  region     = "cn-hangzhou"
  access_key = "{EMU_KEY}"
  secret_key = "{EMU_SECRET}"
  endpoints {{
    polardb  = "{url}"
    polardbx = "{url}"
  }}
}}
'''


def config_latency(url, clusters, instances, n_polardb, n_polardbx):
    return provider_block(url) + f'''
locals {{
  clusters  = {hcl_list(clusters)}
  instances = {hcl_list(instances)}
}}

resource "alicloud_polardb_backup" "p" {{
  count         = {n_polardb}
  db_cluster_id = local.clusters[floor(count.index / 3)]
}}

resource "alicloud_polardbx_backup" "x" {{
  count            = {n_polardbx}
  db_instance_name = local.instances[count.index % {len(instances)}]
}}
'''


def config_fleet(url, instance, n):
    return provider_block(url) + f'''
resource "alicloud_polardbx_backup" "x" {{
  count            = {n}
  db_instance_name = "{instance}"
}}
'''


class Workspace:
    def __init__(self, path, config, provider_dir, extra_env=None):
        self.dir = path
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "main.tf"), "w") as f:
            f.write(config)
        rc = os.path.join(path, "terraform.rc")
        cli_config(rc, {ADDRESS: provider_dir})
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
        self.env.update(TF_CLI_CONFIG_FILE=rc, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        self.env.update(extra_env or {})

    def start(self, *args):
        log_file = open(os.path.join(self.dir, f"{args[0]}.log"), "w")
        return subprocess.Popen(["terraform", *args], cwd=self.dir, env=self.env,
                                stdout=log_file, stderr=subprocess.STDOUT)

    def run(self, *args, ok=(0,)):
        t = time.perf_counter()
        p = self.start(*args)
        code = p.wait()
        wall = time.perf_counter() - t
        if code not in ok:
            self.fail(args[0], code)
        return wall

    def fail(self, what, code):
        with open(os.path.join(self.dir, f"{what}.log")) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f"terraform {what} failed in {self.dir} (exit {code}):\n{tail}")

    def state_ids(self, attr):
        path = os.path.join(self.dir, "terraform.tfstate")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            state = json.load(f)
        return [i["attributes"].get(attr) for r in state.get("resources", []) for i in r["instances"]]


APPLY = ("apply", "-auto-approve", "-input=false", "-no-color")
PLAN = ("plan", "-input=false", "-no-color", "-detailed-exitcode")
DESTROY = ("destroy", "-auto-approve", "-input=false", "-no-color")


def calls_since(emu, marker):
    entries = emu.requests()
    start = 0
    if marker is not None:
        for i in range(len(entries) - 1, -1, -1):
            if entries[i].get("request_id") == marker:
                start = i + 1
                break
    new = entries[start:]
    return new, (entries[-1].get("request_id") if entries else marker)


def latency_run(a, provider_dir, work, pacing=True):
    clusters = ids("pc-lat", ceil_div(a.n_polardb, 3))
    label = "on" if pacing else "off"
    instances = ids("pxc-lat", 2)
    rows = []
    base = {}
    for ms in [int(x) for x in a.latencies.split(",")]:
        args = [a.emulator, "--port", "0", "--backup-duration", "0"]
        for c in clusters:
            args += ["--cluster", c]
        for i in instances:
            args += ["--instance", i]
        if ms:
            args += ["--fault", f"*:latency_ms_min={ms},latency_ms_max={ms}"]
        emu = Emulator.__new__(Emulator)
        emu.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = emu.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            raise SystemExit(f"emulator did not start: {line!r}")
        emu.url = line[len("listening on "):]
        try:
            ws = Workspace(os.path.join(work, f"latency-{label}-{ms}"),
                           config_latency(emu.url, clusters, instances, a.n_polardb, a.n_polardbx),
                           provider_dir, {} if pacing else {PACING_ENV: "off"})
            marker = None
            for phase, cmd, ok in (("apply", APPLY, (0,)), ("plan", PLAN, (0,)), ("destroy", DESTROY, (0,))):
                load = os.getloadavg()[0]
                wall = ws.run(*cmd, ok=ok)
                entries, marker = calls_since(emu, marker)
                calls = len(entries)
                by_action = {}
                for e in entries:
                    by_action[e["action"]] = by_action.get(e["action"], 0) + 1
                if ms == 0:
                    base[phase] = wall
                bound = base.get(phase, wall) + calls * ms / 1000 / PARALLELISM
                rows.append({"pacing": label, "latency_ms": ms, "phase": phase, "wall_s": wall, "calls": calls,
                             "by_action": by_action, "load_at_start": load,
                             "bound_s": bound, "ratio": wall / bound if bound else float("nan")})
                log(f"latency {ms} ms {phase} (pacing {label}): {wall:.2f}s, {calls} calls, bound {bound:.2f}s")
        finally:
            emu.stop()
    return rows


def fleet_run(a, provider_dir, work, pacing):
    instances = ids("pxc-fleet", a.workspaces)
    args = [a.emulator, "--port", "0", "--backup-duration", "0", "--rate-limit", str(a.rate)]
    for i in instances:
        args += ["--instance", i]
    emu = Emulator.__new__(Emulator)
    emu.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = emu.proc.stdout.readline().strip()
    if not line.startswith("listening on http://"):
        raise SystemExit(f"emulator did not start (does it take --rate-limit?): {line!r}")
    emu.url = line[len("listening on "):]
    label = "on" if pacing else "off"
    load = os.getloadavg()[0]
    try:
        env = {} if pacing else {PACING_ENV: "off"}
        spaces = [Workspace(os.path.join(work, f"fleet-{label}-{k}"), config_fleet(emu.url, inst, a.per_workspace),
                            provider_dir, env) for k, inst in enumerate(instances)]
        t = time.perf_counter()
        procs = [w.start(*APPLY) for w in spaces]
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - t
        entries, _ = calls_since(emu, None)
        with open(os.path.join(work, f"fleet-{label}-requests.json"), "w") as f:
            json.dump([{k: e.get(k) for k in ("time", "product", "action", "outcome")} for e in entries], f)
        by_action, accepted, throttled = {}, {}, 0
        for e in entries:
            by_action[e["action"]] = by_action.get(e["action"], 0) + 1
            if "Throttling" in (e.get("outcome") or ""):
                throttled += 1
            else:
                accepted[e["action"]] = accepted.get(e["action"], 0) + 1
        # The rate bound counts the calls the limit let through (a throttled call takes no token):
        # the busiest action's accepted calls at R per second.
        bound = max(c / a.rate for c in accepted.values()) if accepted else float("nan")
        # The first burst: the throttles of the clock second of the first CreateBackup and the
        # next one (the log has one-second timestamps; Terraform's reads before the first create
        # are never throttled, and counting from the first request would include them instead).
        first = entries[0]["time"] if entries else ""
        seconds = sorted({e["time"] for e in entries})
        first_create = next((e["time"] for e in entries if e["action"] == "CreateBackup"), None)
        early = set([t for t in seconds if first_create is not None and t >= first_create][:2])
        burst = sum(1 for e in entries if e["time"] in early and "Throttling" in (e.get("outcome") or ""))
        in_state = [i for w in spaces for i in w.state_ids("backup_set_id")]
        created = sum(1 for e in entries if e["action"] == "CreateBackup" and e.get("outcome") == "Success")
        failed = [k for k, c in enumerate(codes) if c != 0]
        row = {"pacing": label, "wall_s": wall, "calls": len(entries), "by_action": by_action,
               "accepted_by_action": accepted, "first_request": first,
               "throttled": throttled, "throttled_share": throttled / max(1, len(entries)),
               "throttled_first_burst": burst, "first_create": first_create,
               "rate_bound_s": bound, "ratio": wall / bound if bound else float("nan"),
               "in_state": len(in_state), "distinct_in_state": len(set(in_state)),
               "create_successes": created, "duplicated": max(0, created - len(set(in_state))),
               "failed_workspaces": failed, "load_at_start": load}
        log(f"fleet pacing {label}: {json.dumps(row)}")
        return row
    finally:
        emu.stop()


def report(res):
    out = []
    if res.get("latency"):
        out += [f"## Latency (N = {res['n_polardb'] + res['n_polardbx']}: {res['n_polardb']} PolarDB + "
                f"{res['n_polardbx']} PolarDB-X)", "",
                "| pacing | latency | phase | wall | API calls | bound | wall / bound | load at start |",
                "|---|---|---|---|---|---|---|---|"]
        for r in res["latency"]:
            out.append(f"| {r['pacing']} | {r['latency_ms']} ms | {r['phase']} | {r['wall_s']:.2f} s | {r['calls']} | "
                       f"{r['bound_s']:.2f} s | {r['ratio']:.2f}x | {r['load_at_start']:.1f} |")
        out.append("")
        out.append("Calls by action (0 ms): " + "; ".join(
            f"{r['phase']} {json.dumps(r['by_action'], sort_keys=True)}" for r in res["latency"]
            if r["latency_ms"] == 0 and r["pacing"] == "on"))
        out.append("")
    if res.get("fleet"):
        out += [f"## Fleet ({res['workspaces']} workspaces x {res['per_workspace']} PolarDB-X backups, "
                f"{res['rate']} requests/s per action)", "",
                "| pacing | wall | API calls | throttled | of which in the first burst | rate bound | wall / bound "
                "| created (in state, distinct) | duplicated | failed workspaces | load at start |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in res["fleet"]:
            out.append(f"| {r['pacing']} | {r['wall_s']:.1f} s | {r['calls']} | {r['throttled']} "
                       f"({100 * r['throttled_share']:.1f}%) | {r['throttled_first_burst']} | {r['rate_bound_s']:.1f} s | "
                       f"{r['ratio']:.2f}x | {r['create_successes']} ({r['in_state']}, {r['distinct_in_state']}) | "
                       f"{r['duplicated']} | {len(r['failed_workspaces'])} | {r['load_at_start']:.1f} |")
        out.append("")
        for r in res["fleet"]:
            out.append(f"Calls by action (pacing {r['pacing']}): {json.dumps(r['by_action'], sort_keys=True)}; "
                       f"accepted {json.dumps(r['accepted_by_action'], sort_keys=True)}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--fleet", action="store_true")
    ap.add_argument("--latencies", default="0,100,250")
    ap.add_argument("--n-polardb", type=int, default=100)
    ap.add_argument("--n-polardbx", type=int, default=100)
    ap.add_argument("--workspaces", type=int, default=8)
    ap.add_argument("--per-workspace", type=int, default=25)
    ap.add_argument("--rate", type=int, default=10)
    ap.add_argument("--pacing", choices=["both", "on", "off"], default="both",
                    help="fleet: pacing on, then off (default), or one of them")
    ap.add_argument("--latency-pacing", choices=["both", "on", "off"], default="on",
                    help="latency: pacing on (default), off, or on then off (a lone workspace's "
                         "cost of the slow start)")
    a = ap.parse_args()
    work = os.path.abspath(a.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    provider_dir = os.path.join(work, "bin")
    os.makedirs(provider_dir)
    os.symlink(os.path.abspath(a.provider), os.path.join(provider_dir, "terraform-provider-alicloud"))
    res = {"workspaces": a.workspaces, "per_workspace": a.per_workspace, "rate": a.rate,
           "n_polardb": a.n_polardb, "n_polardbx": a.n_polardbx}
    if a.latency:
        modes = {"both": [True, False], "on": [True], "off": [False]}[a.latency_pacing]
        res["latency"] = [r for p in modes for r in latency_run(a, provider_dir, work, p)]
    if a.fleet:
        res["fleet"] = [fleet_run(a, provider_dir, work, p) for p in ([True, False] if a.pacing == "both"
                                                                        else [a.pacing == "on"])]
    with open(os.path.join(work, "network.json"), "w") as f:
        json.dump(res, f, indent=2)
    text = report(res)
    with open(os.path.join(work, "network.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
