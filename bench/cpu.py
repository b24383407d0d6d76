"""CPU time of a PostgreSQL backend of this machine, for the benchmarks that add the
database's share to their own process's (a checkout's cost is both)."""

import os
from pathlib import Path


def backend_cpu(pid: int) -> float:
    """CPU seconds used so far by a PostgreSQL backend of this machine (0 if unreadable).
    Counted in clock ticks (10 ms): read it around many calls, not one."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
