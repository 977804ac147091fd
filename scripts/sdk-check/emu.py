"""Starting alicloud-emulator for the independent checks, and its admin API.

Shared by sdk_drive.py, provider_check.py and the emulator runs of live_check.py. Standard library
only. The emulator is a child process on a free loopback port; its first stdout line is
`listening on http://ADDR:PORT`.
"""

import json
import os
import subprocess
import tempfile
import time
import urllib.request

ACCESS_KEY_ID = "LTAIEmulatorKey"
ACCESS_KEY_SECRET = "EmulatorSecret"
REGION = "cn-hangzhou"


def supports(binary, flag):
    """Whether this emulator build accepts `flag` (its --help names it)."""
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    return flag in out.stdout + out.stderr


class Emulator:
    """A running emulator with one PolarDB cluster and one PolarDB-X instance."""

    def __init__(self, binary, dialect, cluster, instance, backup_duration="1s", extra=()):
        self.dialect = dialect
        self.log_file = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".err", delete=False)
        args = [binary, "--port", "0", "--region", REGION, "--cluster", cluster,
                "--instance", instance, "--backup-duration", backup_duration, *extra]
        if dialect != "documented":
            args += ["--dialect", dialect]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.log_file, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on http://"):
            self.stop()
            raise RuntimeError(f"emulator {args} did not print its address (got {line!r}); "
                               f"stderr: {self.stderr_tail()}")
        self.addr = line.removeprefix("listening on http://")
        self.url = f"http://{self.addr}"
        # The endpoint of each product. An emulator with --polardbx-port prints the PolarDB-X
        # endpoint on its second line (`polardbx listening on http://...`); both endpoints serve
        # both products unless its strict `host-product` behaviour is on.
        self.polardb_url = self.polardbx_url = self.url
        if supports(binary, "--polardbx-port"):
            second = self.proc.stdout.readline().strip()
            if not second.startswith("polardbx listening on http://"):
                self.stop()
                raise RuntimeError(f"emulator {args} did not print its PolarDB-X endpoint "
                                   f"(got {second!r})")
            self.polardbx_url = second.removeprefix("polardbx listening on ")

    def endpoint_args(self):
        """live_check.py's endpoint flags for this emulator."""
        if self.polardb_url == self.polardbx_url:
            return ["--endpoint", self.url]
        return ["--polardb-endpoint", self.polardb_url, "--polardbx-endpoint", self.polardbx_url]

    def admin(self, path, body=None):
        """GET (or POST `body` as JSON to) /_emulator/PATH; the answer as JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def stderr_tail(self, lines=20):
        try:
            with open(self.log_file.name, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log_file.close()
        try:
            os.unlink(self.log_file.name)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wait_until(what, predicate, timeout_s=60.0, interval_s=0.2):
    """Polls `predicate` until it returns something truthy; fails with `what` after the timeout.

    The timeout is generous on purpose: these checks share a loaded 2-core machine.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)
