"""Load a local server with wrk (Debian package), rotating through a list of addresses,
and count what the machine spent on it. Standard library only: bench/throughput.py and
the peer comparison (bench/peer/oscar_peer.py, run by another virtualenv) share it."""

import os
import re
import subprocess
import tempfile
from pathlib import Path

# wrk's Lua script: each request asks the next address of the list, in turn.
ROTATE = """
paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent working (not idle, not waiting, not stolen by
    the host) since it booted: /proc/stat, in clock ticks."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, *_ = (
            int(field) for field in stat.readline().split()[1:]
        )
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def wrk(
    paths: list[str], *, port: int, seconds: int, connections: int, accept_encoding: str, timeout: str = "60s"
) -> tuple[float, float, int]:
    """Requests per second, CPU milliseconds per request (the whole machine: server,
    Redis, PostgreSQL, wrk itself), and the requests wrk gave up on after `timeout`."""
    with tempfile.TemporaryDirectory() as directory:
        listing, script = Path(directory) / "paths.txt", Path(directory) / "rotate.lua"
        listing.write_text("\n".join(paths) + "\n")
        script.write_text(ROTATE)
        cpu_before = busy_cpu_seconds()
        result = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", timeout, "-s", str(script),
             "-H", f"Accept-Encoding: {accept_encoding}", f"http://127.0.0.1:{port}"],
            env={**os.environ, "WRK_PATHS": str(listing)}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        cpu = busy_cpu_seconds() - cpu_before
    if "Non-2xx" in result.stdout:
        raise SystemExit(f"errors during the load:\n{result.stdout}")
    requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    timeouts = re.search(r"timeout (\d+)", result.stdout)
    return rate, 1000 * cpu / max(requests, 1), int(timeouts.group(1)) if timeouts else 0
