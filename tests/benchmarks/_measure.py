"""Measuring a benchmark step: a child process's wall time and peak memory, the median of
repeated runs, and where the ``dideng`` command is.

Peak memory of a child
----------------------
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the largest peak among *all* the children a process
has waited for so far, so after several children it no longer says anything about the last one.
:func:`run_child` instead waits for its child with :func:`os.wait4`, which returns the resource
usage of that one process (on Linux: its own peak resident set, or that of a descendant it waited
for, whichever is larger — the ``time -v`` figure).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["dideng_cli", "median_time", "paired_times", "run_child"]


def dideng_cli() -> str | None:
    """The ``dideng`` console script beside this Python, else on the PATH (None without one)."""
    exe = Path(sys.executable).with_name("dideng")
    return str(exe) if exe.exists() else shutil.which("dideng")


def median_time(func: Callable[[], Any], repeat: int, min_total_s: float = 0.0,
                max_runs: int = 1000) -> tuple[float, list[float], Any]:
    """Run ``func`` ``repeat`` times, and more until the runs add up to ``min_total_s`` (at most
    ``max_runs``): (median seconds, each run's seconds rounded, last result). Millisecond steps
    thus get enough runs for a median that is not the noise of three."""
    runs, result = [], None
    while len(runs) < max(1, repeat) or (sum(runs) < min_total_s and len(runs) < max_runs):
        t0 = time.perf_counter()
        result = func()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), [round(r, 5) for r in runs], result


def paired_times(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int,
                 min_total_s: float = 0.0, max_runs: int = 1000, blocks: int = 4
                 ) -> tuple[tuple[float, list[float], Any], tuple[float, list[float], Any]]:
    """Time two computations of the same answer in alternate blocks of runs — ours, theirs;
    theirs, ours; … — until each side has run at least ``repeat`` times and its runs add up
    to ``min_total_s`` (at most ``max_runs`` runs a side): per side (median seconds, each run's
    seconds rounded, last result).

    A machine's speed drifts over minutes (other tenants, clocks); timed one after the other,
    two sides can meet different machines. Alternated, they meet the same one, and neither
    always runs first. A block runs on for ``min_total_s / blocks`` seconds (one run at least),
    so a millisecond computation is timed in a run of its own, not always just after the other
    side has taken the caches."""
    sides: list[list] = [[[], None], [[], None]]
    funcs = (ours, theirs)
    block_s = min_total_s / max(1, blocks)

    def more(k: int) -> bool:
        runs = sides[k][0]
        return len(runs) < max(1, repeat) or (sum(runs) < min_total_s and len(runs) < max_runs)

    turn = 0
    while more(0) or more(1):
        for k in ((0, 1) if turn % 2 == 0 else (1, 0)):
            runs, spent = sides[k][0], 0.0
            while True:
                t0 = time.perf_counter()
                sides[k][1] = funcs[k]()
                runs.append(time.perf_counter() - t0)
                spent += runs[-1]
                if spent >= block_s or not more(k) or len(runs) >= max_runs:
                    break
        turn += 1
    return tuple((statistics.median(runs), [round(r, 5) for r in runs], result)
                 for runs, result in sides)


def run_child(cmd: Sequence[str], *, stdout: str | Path | None = None,
              cwd: str | Path | None = None, env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` and measure that process alone.

    Returns ``wall_s``, ``peak_rss_mb`` (the child's ``ru_maxrss`` from :func:`os.wait4`),
    ``cpu_s`` (user + system), ``exit_code`` and, when it failed, the tail of its output.
    ``stdout`` is a file the child's standard output goes to (discarded when None); standard
    error is kept in a temporary file for the failure message.
    """
    with tempfile.TemporaryFile() as err, (
            open(stdout, "wb") if stdout is not None else open(os.devnull, "wb")) as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, cwd=cwd, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        result = {
            "wall_s": round(wall, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "exit_code": proc.returncode,
        }
        if proc.returncode != 0:
            err.seek(0)
            result["stderr_tail"] = err.read().decode("utf-8", "replace")[-4000:]
    return result
