"""Briefs for a stream of incidents, written in the asked formats, one incident at a time.

Memory stays flat in the number of incidents: each brief is built, written, snapshotted and dropped
before the next; only one index row per incident is kept. Every file is written to a temporary file
in the output directory and renamed, so a reader never sees half a brief.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from threadpoolctl import threadpool_limits

from incident_brief.briefs import corrections, history, render_html, render_json, render_markdown, render_stix
from incident_brief.briefs.build import BriefBuilder, IncidentInput
from incident_brief.briefs.files import write_file_atomically
from incident_brief.corpus.store import Store, now_iso
from incident_brief.errors import UsageError

FORMATS = {"md": "md", "html": "html", "json": "json", "stix": "stix.json"}  # format: file extension
_RENDERERS = {
    "md": render_markdown.render,
    "html": render_html.render,
    "json": render_json.render,
    "stix": render_stix.render,
}
_INDEXES = {
    "md": render_markdown.render_index,
    "html": render_html.render_index,
    "json": render_json.render_index,
}


@dataclass
class SummarizeReport:
    out_dir: Path
    briefs: int = 0
    skipped: list[str] = field(default_factory=list)  # incidents none of whose articles is stored
    index_files: list[Path] = field(default_factory=list)


def parse_formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"--format: unknown format {unknown[0] if unknown else text!r} (use {','.join(FORMATS)})"
        )
    return list(dict.fromkeys(formats))


def file_stem(incident_id: str) -> str:
    """A file name for an incident id: safe characters only, never hidden, never a path."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", incident_id).strip("_")[:100]
    return stem or "incident"


def stored_incidents(
    store: Store, *, incident_ids: Iterable[str] = (), since: str | None = None
) -> list[IncidentInput]:
    """The incidents to brief with their articles, from clustering's tables (`brief cluster`): the one
    seam between clustering and briefs. `since` keeps incidents with a report published on or after it;
    an unknown id in `incident_ids` is a UsageError."""
    rows = store.query(
        "SELECT i.id AS incident, i.title AS title, group_concat(m.article_id) AS members, "
        "max(a.published) AS latest FROM incidents i JOIN incident_members m ON m.incident_id = i.id "
        "JOIN articles a ON a.id = m.article_id GROUP BY i.id ORDER BY i.id"
    )
    wanted = list(dict.fromkeys(incident_ids))
    unknown = sorted(set(wanted) - {row["incident"] for row in rows})
    if unknown:
        raise UsageError(f"--incident: no incident {unknown[0]!r} (`brief incidents` lists them)")
    return [
        IncidentInput(row["incident"], [int(m) for m in row["members"].split(",")], row["title"])
        for row in rows
        if (not wanted or row["incident"] in wanted) and (not since or (row["latest"] or "") >= since)
    ]


def check_writable(out_dir: Path) -> None:
    """Fail before any work when OUT cannot take files: a clear error, nothing written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=out_dir, prefix=".write-test-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None


def write_briefs(
    store: Store,
    builder: BriefBuilder,
    incidents: Iterable[IncidentInput],
    out_dir: Path,
    *,
    formats: Iterable[str] = tuple(FORMATS),
    progress: Callable[[str, int], None] | None = None,
    clock: Callable[[], str] = now_iso,
) -> SummarizeReport:
    """Build, write and snapshot a brief per incident, then the indexes (md, html, json) of all briefs."""
    formats = list(formats)
    check_writable(out_dir)
    report = SummarizeReport(out_dir)
    # One incident's matrices are tiny: waking BLAS threads for each product costs more than it saves.
    with threadpool_limits(limits=1, user_api="blas"):
        for incident in incidents:
            brief = builder.build(incident, clock())
            if brief is None:
                report.skipped.append(incident.incident_id)
                continue
            brief = corrections.apply_corrections(store, brief)  # the analysts' word over the machine's
            brief.changes = history.changes_since(history.latest(store, incident.incident_id), brief)
            stem = file_stem(incident.incident_id)
            for name in formats:
                _write_text(out_dir / f"{stem}.{FORMATS[name]}", _RENDERERS[name](brief))
            history.save(store, brief)  # after the files: a failed write does not count as a brief given
            report.briefs += 1
            if progress:
                progress("done", 1)
    rows = history.latest_rows(store)
    for name in formats:
        if name not in _INDEXES:
            continue

        def file_name(incident_id: str, extension: str = FORMATS[name]) -> str:
            return f"{file_stem(incident_id)}.{extension}"

        listed = [row for row in rows if (out_dir / file_name(row.incident_id)).exists()]
        path = out_dir / f"index.{FORMATS[name]}"
        _write_text(path, _INDEXES[name](listed, file_name))
        report.index_files.append(path)
    return report


def _write_text(path: Path, text: str) -> None:
    write_file_atomically(path, lambda stream: stream.write(text))
