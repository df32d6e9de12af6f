"""Measurements the speed benchmarks share: memory of a process tree, and the CPU they ran on."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of a process and all its descendants, in kB.

    PSS (proportional set size) counts a page shared by n processes as 1/n in each, so the sum over
    the tree is the memory the tree really holds; the forked analysis workers share the model
    weights with their parent, which a sum of RSS would count once per process.
    """
    pss = rss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return pss, rss


@dataclass
class MeasuredRun:
    seconds: float
    peak_pss_kb: int
    peak_rss_kb: int
    returncode: int
    stdout: bytes
    stderr: bytes


def run_measured(command: list[str], *, interval: float = 0.1, env: dict | None = None) -> MeasuredRun:
    """Runs a command to its end, sampling the memory of its process tree every `interval` seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak_pss = peak_rss = 0
    while process.poll() is None:
        pss, rss = tree_memory_kb(process.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(interval)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    return MeasuredRun(seconds, peak_pss, peak_rss, process.returncode, stdout, stderr)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"
