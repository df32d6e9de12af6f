"""A brief as JSON following docs/brief.schema.json (its version is the brief's `schema_version`)."""

from __future__ import annotations

import json

from incident_brief.briefs.history import BriefRow
from incident_brief.briefs.model import SCHEMA_VERSION, Brief

SCHEMA_ID = f"urn:incident-brief:schema:brief:{SCHEMA_VERSION}"


def _dumps(data: dict | list) -> str:
    # `<`, `>` and `&` as \\u escapes: the same JSON, inert even if someone pastes it into a page
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def render(brief: Brief) -> str:
    return _dumps({"$schema": SCHEMA_ID, **brief.to_dict()})


def render_index(rows: list[BriefRow], file_name) -> str:
    return _dumps([{**row.__dict__, "file": file_name(row.incident_id)} for row in rows])
