#!/usr/bin/env python3
"""Drives the benchmark that scripts/bench.sh sets up: real `terraform` apply / plan / destroy
of the terraform_data floor, our provider against the emulator, and the Go null provider,
alternated A/B in one run; plus handshake / RPC latency and binary size. Writes JSON and a
Markdown summary; prints the summary."""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request

EMU_KEY, EMU_SECRET = "LTAIEmulatorKey", "EmulatorSecret"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Emulator:
    """The emulator process; zero-duration backups, no faults."""

    def __init__(self, binary, clusters, instances):
        args = [binary, "--port", "0", "--backup-duration", "0"]
        for c in clusters:
            args += ["--cluster", c]
        for i in instances:
            args += ["--instance", i]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            raise SystemExit(f"emulator did not start: {line!r}")
        self.url = line[len("listening on "):]

    def admin(self, method, path):
        req = urllib.request.Request(f"{self.url}/_emulator/{path}", method=method, data=b"" if method == "POST" else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")

    def reset(self):
        self.admin("POST", "reset")

    def settings(self, body):
        req = urllib.request.Request(f"{self.url}/_emulator/settings", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def requests(self):
        return self.admin("GET", "requests")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def ids(prefix, n):
    return [f"{prefix}{i:05d}" for i in range(n)]


def ceil_div(a, b):
    return -(-a // b)


# ---------- configurations ----------

def hcl_list(xs):
    return "[" + ", ".join(f'"{x}"' for x in xs) + "]"


def config_floor(n):
    return f'resource "terraform_data" "r" {{\n  count = {n}\n  input = count.index\n}}\n'


def config_null(n):
    return (
        'terraform {\n  required_providers {\n    null = { source = "hashicorp/null" }\n  }\n}\n\n'
        f'resource "null_resource" "r" {{\n  count = {n}\n  triggers = {{ i = count.index }}\n}}\n'
    )


def config_ours(n_polardb, n_polardbx, emu_url):
    """n_polardb PolarDB backups, three per cluster (the quota), and n_polardbx PolarDB-X
    backups, three per instance."""
    clusters = ids("pc-bench", max(1, ceil_div(n_polardb, 3)))
    instances = ids("pxc-bench", max(1, ceil_div(n_polardbx, 3)))
    return f'''provider "alicloud" {{
  region     = "cn-hangzhou"
  access_key = "{EMU_KEY}"
  secret_key = "{EMU_SECRET}"
  endpoints {{
    polardb  = "{emu_url}"
    polardbx = "{emu_url}"
  }}
}}

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
  db_instance_name = local.instances[floor(count.index / 3)]
}}
'''


# ---------- running terraform ----------

def cli_config(path, overrides):
    lines = ["provider_installation {", "  dev_overrides {"]
    for addr, d in overrides.items():
        lines.append(f'    "{addr}" = {json.dumps(d)}')
    lines += ["  }", "  direct {}", "}", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


class Variant:
    def __init__(self, name, label, resources, workdir, config, overrides, uses_emulator):
        self.name, self.label, self.resources = name, label, resources
        self.dir = workdir
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, "main.tf"), "w") as f:
            f.write(config)
        self.overrides = overrides
        self.uses_emulator = uses_emulator

    def env(self, override_dirs):
        rc = os.path.join(self.dir, "terraform.rc")
        cli_config(rc, {a: override_dirs[a] for a in self.overrides})
        env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
        env.update(TF_CLI_CONFIG_FILE=rc, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        return env

    def terraform(self, args, env, ok_codes=(0,)):
        """Runs terraform; returns (wall seconds, exit code) and leaves the CPU seconds of
        terraform and every provider process it started (and reaped) in `self.cpu`."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        with open(os.path.join(self.dir, "last.log"), "w") as out:
            p = subprocess.run(["terraform", *args], cwd=self.dir, env=env, stdout=out, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if p.returncode not in ok_codes:
            with open(os.path.join(self.dir, "last.log")) as f:
                tail = f.read()[-3000:]
            raise SystemExit(f"terraform {args[0]} failed in {self.dir} (exit {p.returncode}):\n{tail}")
        return wall, p.returncode


def count_calls(emu, marker):
    """Requests logged since the entry `marker` (a request_id, or None for all), by action;
    returns (counts, new marker). The log keeps the newest 10,000 entries."""
    entries = emu.requests()
    start = 0
    if marker is not None:
        for i in range(len(entries) - 1, -1, -1):
            if entries[i].get("request_id") == marker:
                start = i + 1
                break
    counts = {}
    for e in entries[start:]:
        counts[e["action"]] = counts.get(e["action"], 0) + 1
    new_marker = entries[-1].get("request_id") if entries else marker
    return counts, new_marker


def read_rss(path):
    """The shim's records, one line per provider process: (peak RSS KiB, CPU seconds)."""
    if not os.path.exists(path):
        return []
    procs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0].isdigit():
                procs.append((int(parts[0]), float(parts[1]) + float(parts[2])))
    os.remove(path)
    return procs


def cycle(v, emu, override_dirs, rss_log=None):
    """apply, plan (everything in state, must show no changes), destroy. Returns timings,
    calls per phase, and per-process peak RSS (KiB) when `rss_log` is given."""
    env = v.env(override_dirs)
    for f in ("terraform.tfstate", "terraform.tfstate.backup"):
        p = os.path.join(v.dir, f)
        if os.path.exists(p):
            os.remove(p)
    marker = None
    if v.uses_emulator:
        emu.reset()
    out = {"wall": {}, "cpu": {}, "calls": {}, "rss_kib": {}, "provider_cpu": {}}
    for phase, args, codes in (
        ("apply", ["apply", "-auto-approve", "-input=false", "-no-color"], (0,)),
        ("plan", ["plan", "-input=false", "-no-color", "-detailed-exitcode"], (0,)),
        ("destroy", ["destroy", "-auto-approve", "-input=false", "-no-color"], (0,)),
    ):
        if rss_log:
            read_rss(rss_log)
        out["wall"][phase], _ = v.terraform(args, env, codes)
        out["cpu"][phase] = v.cpu
        if v.uses_emulator:
            out["calls"][phase], marker = count_calls(emu, marker)
        if rss_log:
            procs = read_rss(rss_log)
            out["rss_kib"][phase] = [kib for kib, _ in procs]
            out["provider_cpu"][phase] = sum(cpu for _, cpu in procs)
    return out


def waiting_checks(emu, work, plain_dirs, addr):
    """Backups that take time: calls per create when a backup finishes between two polls, and
    how soon after finishing a 30-second backup is seen done."""
    out = {}
    for label, ms, n in (("300ms", 300, 10), ("30s", 30_000, 1)):
        v = Variant(f"wait_{label}", label, 2 * n, os.path.join(work, f"wait-{label}"),
                    config_ours(n, n, emu.url), [addr["alicloud"]], True)
        env = v.env(plain_dirs)
        emu.reset()
        emu.settings({"backup_duration_ms": ms})
        wall, _ = v.terraform(["apply", "-auto-approve", "-input=false", "-no-color"], env)
        calls, _ = count_calls(emu, None)
        v.terraform(["destroy", "-auto-approve", "-input=false", "-no-color"], env)
        out[label] = {"resources": 2 * n, "backup_ms": ms, "apply_s": wall, "calls": calls}
        log(f"waiting {label}: apply {wall:.2f}s, calls {calls}")
    emu.reset()
    return out


# ---------- stats and report ----------

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_s(x):
    return f"{x:.2f}"


def plugin_bench(tool, mode, binary, count):
    p = subprocess.run([tool, mode, binary, str(count)], capture_output=True, text=True)
    if p.returncode != 0:
        log(f"plugin_bench {mode} {binary} failed: {p.stderr.strip()}")
        return None
    return json.loads(p.stdout)


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except OSError:
        mem_kib = 0
    tf = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()
    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "terraform": tf[0] if tf else "?",
        "load_at_start": [round(x, 2) for x in load],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns", default="10,200,1000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--plugin-bench", required=True)
    ap.add_argument("--null", default="")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--handshakes", type=int, default=200)
    ap.add_argument("--rpc-calls", type=int, default=2000)
    ap.add_argument("--no-rss-pass", action="store_true")
    a = ap.parse_args()

    ns = [int(x) for x in a.ns.split(",") if x.strip()]
    work = os.path.abspath(a.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    results = {"machine": machine(), "ns": ns, "repeats": a.repeats, "runs": {}, "rss": {}}
    log(f"machine: {results['machine']}")

    # Real binaries, and shims that record each process's peak RSS (only in the RSS pass:
    # the extra fork of /usr/bin/time stays out of the timed runs).
    bins = {"alicloud": os.path.abspath(a.provider)}
    if a.null:
        bins["null"] = os.path.abspath(a.null)
    addr = {"alicloud": "registry.terraform.io/hashicorp/alicloud", "null": "registry.terraform.io/hashicorp/null"}
    plain_dirs, shim_dirs = {}, {}
    rss_log = os.path.join(work, "rss.log")
    for name, path in bins.items():
        d = os.path.join(work, "bin", name)
        os.makedirs(d)
        os.symlink(path, os.path.join(d, f"terraform-provider-{name}"))
        plain_dirs[addr[name]] = d
        s = os.path.join(work, "shim", name)
        os.makedirs(s)
        shim = os.path.join(s, f"terraform-provider-{name}")
        with open(shim, "w") as f:
            f.write(f'#!/bin/sh\nexec /usr/bin/time -a -o "{rss_log}" -f "%M %U %S" "{path}" "$@"\n')
        os.chmod(shim, 0o755)
        shim_dirs[addr[name]] = s

    maxn = max(ns)
    emu = Emulator(a.emulator, ids("pc-bench", ceil_div(maxn, 3)), ids("pxc-bench", ceil_div(maxn, 3)))
    log(f"emulator at {emu.url}")
    try:
        for n in ns:
            half = n // 2
            variants = [
                Variant("floor", f"terraform_data x{n}", n, os.path.join(work, f"floor-{n}"), config_floor(n), [], False),
                Variant("ours_n", f"ours x{n} ({n - half} PolarDB + {half} PolarDB-X)", n, os.path.join(work, f"ours_n-{n}"),
                        config_ours(n - half, half, emu.url), [addr["alicloud"]], True),
                Variant("ours_2n", f"ours x{2 * n} ({n} PolarDB + {n} PolarDB-X)", 2 * n, os.path.join(work, f"ours_2n-{n}"),
                        config_ours(n, n, emu.url), [addr["alicloud"]], True),
            ]
            if a.null:
                variants.append(Variant("null", f"null_resource x{n}", n, os.path.join(work, f"null-{n}"), config_null(n), [addr["null"]], False))
            runs = {v.name: [] for v in variants}
            for rep in range(a.repeats):
                # Rotate the order each repetition so no variant always runs first.
                order = variants[rep % len(variants):] + variants[: rep % len(variants)]
                for v in order:
                    r = cycle(v, emu, plain_dirs)
                    runs[v.name].append(r)
                    log(f"N={n} rep {rep + 1}/{a.repeats} {v.name}: " + ", ".join(f"{k} {x:.2f}s" for k, x in r["wall"].items()))
            results["runs"][str(n)] = {
                v.name: {"label": v.label, "resources": v.resources, "cycles": runs[v.name]} for v in variants
            }
            if not a.no_rss_pass:
                rss = {}
                for v in variants:
                    if v.overrides:
                        r = cycle(v, emu, shim_dirs, rss_log)
                        rss[v.name] = {"rss_kib": r["rss_kib"], "provider_cpu": r["provider_cpu"], "cpu": r["cpu"]}
                        log(f"N={n} RSS {v.name}: max {max(max(x, default=0) for x in r['rss_kib'].values())} KiB, "
                            f"provider CPU {r['provider_cpu']}, total CPU {r['cpu']}")
                results["rss"][str(n)] = rss
        results["waiting"] = waiting_checks(emu, work, plain_dirs, addr)
    finally:
        emu.stop()

    log("handshake and RPC latency")
    results["handshake"] = {"ours": plugin_bench(a.plugin_bench, "handshake", bins["alicloud"], a.handshakes)}
    if a.null:
        results["handshake"]["null"] = plugin_bench(a.plugin_bench, "handshake", bins["null"], max(20, a.handshakes // 2))
    results["rpc"] = plugin_bench(a.plugin_bench, "rpc", bins["alicloud"], a.rpc_calls)
    results["binary_bytes"] = {k: os.path.getsize(os.path.realpath(p)) for k, p in bins.items()}

    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = report(results)
    with open(os.path.join(work, "results.md"), "w") as f:
        f.write(md)
    print(md)


def report(res):
    out = []
    m = res["machine"]
    out.append(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; {m['terraform']}; "
               f"load average at start {m['load_at_start']}. Medians of {res['repeats']} alternations.\n")
    out.append("| N | variant | resources | apply s | plan s | destroy s | apply+destroy s | per resource ms | vs floor | vs null | CPU s (apply+destroy) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, variants in res["runs"].items():
        def ad(name):
            cs = variants[name]["cycles"]
            return med([c["wall"]["apply"] + c["wall"]["destroy"] for c in cs])
        floor = ad("floor")
        null = ad("null") if "null" in variants else None
        for name, v in variants.items():
            cs = v["cycles"]
            a_ = med([c["wall"]["apply"] for c in cs])
            p_ = med([c["wall"]["plan"] for c in cs])
            d_ = med([c["wall"]["destroy"] for c in cs])
            t = ad(name)
            per = 1000 * t / v["resources"]
            vs_null = f"{t / null:.2f}x" if null else "-"
            cpu = med([c["cpu"]["apply"] + c["cpu"]["destroy"] for c in cs])
            out.append(f"| {n} | {v['label']} | {v['resources']} | {fmt_s(a_)} | {fmt_s(p_)} | {fmt_s(d_)} | {fmt_s(t)} | {per:.2f} | {t / floor:.2f}x | {vs_null} | {cpu:.2f} |")
    out.append("")
    ns = list(res["runs"].keys())
    if len(ns) >= 2:
        out.append("Growth (median apply+destroy): " + "; ".join(
            f"{name} N={ns[-1]}/N={ns[-2]}: "
            f"{med([c['wall']['apply'] + c['wall']['destroy'] for c in res['runs'][ns[-1]][name]['cycles']]) / med([c['wall']['apply'] + c['wall']['destroy'] for c in res['runs'][ns[-2]][name]['cycles']]):.2f}x"
            for name in res["runs"][ns[-1]]) + "\n")
    out.append("API calls per resource (last repetition; by action):\n")
    out.append("| N | variant | apply | plan | destroy |")
    out.append("|---|---|---|---|---|")
    for n, variants in res["runs"].items():
        for name, v in variants.items():
            if not v["cycles"][-1]["calls"]:
                continue
            c = v["cycles"][-1]["calls"]
            cells = []
            for phase in ("apply", "plan", "destroy"):
                total = sum(c[phase].values())
                detail = ", ".join(f"{k} {x}" for k, x in sorted(c[phase].items()))
                cells.append(f"{total / v['resources']:.2f} ({detail})")
            out.append(f"| {n} | {name} | " + " | ".join(cells) + " |")
    out.append("")
    if res["rss"]:
        out.append("Peak RSS per provider process (MiB; max / median over every process of one apply, plan and destroy), "
                   "and where the CPU went in that cycle (seconds: provider processes / everything, i.e. terraform + providers):\n")
        out.append("| N | variant | processes | max RSS | median RSS | provider CPU s | total CPU s |")
        out.append("|---|---|---|---|---|---|---|")
        for n, vs in res["rss"].items():
            for name, r in vs.items():
                allp = [x for xs in r["rss_kib"].values() for x in xs]
                if allp:
                    out.append(f"| {n} | {name} | {len(allp)} | {max(allp) / 1024:.1f} | {med(allp) / 1024:.1f} | "
                               f"{sum(r['provider_cpu'].values()):.2f} | {sum(r['cpu'].values()):.2f} |")
        out.append("")
    for label, w in res.get("waiting", {}).items():
        total = sum(w["calls"].values())
        out.append(f"Backups taking {label}: {w['resources']} resources, apply {w['apply_s']:.2f} s, "
                   f"{total / w['resources']:.2f} calls per create ({', '.join(f'{k} {x}' for k, x in sorted(w['calls'].items()))}).")
    out.append("")
    hs = res.get("handshake", {})
    for k, v in hs.items():
        if v:
            xs = v["handshake_ms"]
            out.append(f"Handshake ({k}): median {med(xs):.2f} ms, min {min(xs):.2f}, max {max(xs):.2f} over {len(xs)} starts.")
    rpc = res.get("rpc")
    if rpc:
        s = rpc["get_provider_schema_ms"]
        c = rpc["configure_provider_ms"]
        out.append(f"GetProviderSchema (ours, {rpc['get_provider_schema_bytes']} bytes): median {1000 * med(s):.0f} µs, first {1000 * s[0]:.0f} µs, "
                   f"over {len(s)} calls; mTLS connect {rpc['connect_ms']:.2f} ms; "
                   f"the connection's first request (a health check, made before) {1000 * rpc.get('first_rpc_ms', float('nan')):.0f} µs.")
        out.append(f"ConfigureProvider (ours): first {1000 * c[0]:.0f} µs, median {1000 * med(c):.0f} µs over {len(c)} calls.")
    out.append("Binary size: " + ", ".join(f"{k} {v / 1e6:.2f} MB ({v} bytes)" for k, v in res["binary_bytes"].items()))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
