"""Output files written whole: readers never see half a file, a failed write leaves the old one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from incident_brief.errors import UsageError

T = TypeVar("T")


def write_file_atomically(path: Path, write: Callable[[TextIO], T]) -> T:
    """Call `write` with a text stream on a temporary file beside `path`, then rename it over `path`,
    so readers never see half a file and a failed export leaves the old one in place.
    An unwritable place is a UsageError (exit code 2)."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            result = write(stream)
        # mkstemp makes the file private (0600); an export is an ordinary file, or keeps the old mode
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        _remove(temporary)
        raise
    return result


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
