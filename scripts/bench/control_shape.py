#!/usr/bin/env python3
"""A control for docs/performance.md ("Locally"): Terraform alone (terraform_data, no plugin) at
N resources, once with a one-number state per instance (the floor) and once with a state shaped
like a PolarDB backup's (control_state_size.tf: the same 17 attributes, about 600 bytes).
apply + destroy alternate R times; medians are printed. What the second costs more than the first
is Terraform's own work for the shape of our state, which no provider can cut.

Usage: python3 scripts/bench/control_shape.py [-n 200] [-r 5] [--workdir target/bench/control]"""

import argparse
import os
import shutil
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FLOOR = 'variable "n" { type = number }\nresource "terraform_data" "r" {\n  count = var.n\n  input = count.index\n}\n'


def run(d, args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    t = time.perf_counter()
    subprocess.run(["terraform", *args], cwd=d, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("--workdir", default="target/bench/control")
    a = ap.parse_args()
    work = os.path.abspath(a.workdir)
    shutil.rmtree(work, ignore_errors=True)
    dirs = {"floor": os.path.join(work, "floor"), "backup-shaped": os.path.join(work, "shaped")}
    for name, d in dirs.items():
        os.makedirs(d)
        if name == "floor":
            with open(os.path.join(d, "main.tf"), "w") as f:
                f.write(FLOOR)
        else:
            shutil.copy(os.path.join(HERE, "control_state_size.tf"), os.path.join(d, "main.tf"))
        run(d, ["init", "-input=false", "-no-color"])
    var = f"n={a.n}"
    times = {k: {"apply": [], "destroy": [], "state": []} for k in dirs}
    for _ in range(a.r):
        for name, d in dirs.items():
            times[name]["apply"].append(run(d, ["apply", "-auto-approve", "-input=false", "-var", var]))
            times[name]["state"].append(os.path.getsize(os.path.join(d, "terraform.tfstate")))
            times[name]["destroy"].append(run(d, ["destroy", "-auto-approve", "-input=false", "-var", var]))
    print(f"| N = {a.n}, {a.r} alternations, medians | apply | destroy | apply + destroy | state after apply |")
    print("|---|---|---|---|---|")
    for name, t in times.items():
        ap_, de = statistics.median(t["apply"]), statistics.median(t["destroy"])
        print(f"| terraform_data, {name} | {ap_:.2f} s | {de:.2f} s | {ap_ + de:.2f} s | "
              f"{statistics.median(t['state']) / 1024:.0f} KiB |")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
