"""Measurements the speed benchmarks share: memory of a process tree, and the CPU they ran on."""

from __future__ import annotations

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


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"
