"""A brief as one self-contained HTML page, and the index of briefs.

Jinja2 with autoescaping writes every string, so scraped text is always text; the page loads nothing
(its Content-Security-Policy allows only its own inline style, by hash) and links only http(s) URLs.
Provenance is on every citation: hovering shows the outlet, date, article id and character offsets,
and the link opens the source.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape

from incident_brief.briefs.history import BriefRow
from incident_brief.briefs.model import Brief, quotes_by_speaker, readable_time
from incident_brief.briefs.timeline import readable

_CSS = (files("incident_brief.briefs") / "templates" / "brief.css").read_text(encoding="utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
# Nothing may load: only the page's own style, named by its hash (no 'unsafe-inline').
_CSP = f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; form-action 'none'"


def _http_url(url: str) -> bool:
    return bool(re.match(r"https?://[^\s]+$", url, re.IGNORECASE))


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("incident_brief.briefs", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["http_url"] = _http_url
    environment.filters["by_source"] = lambda evidence, numbers: sorted(
        evidence, key=lambda e: numbers.get(e.article_id, len(numbers))
    )
    environment.filters["minute"] = readable_time
    environment.filters["readable"] = readable
    environment.filters["by_number"] = lambda ids, numbers: sorted(
        ids, key=lambda i: numbers.get(i, len(numbers))
    )
    environment.globals.update(css=_CSS, csp=_CSP)
    return environment


_ENVIRONMENT = _environment()  # templates compile once; the environment holds no per-brief state


def render(brief: Brief) -> str:
    return _ENVIRONMENT.get_template("brief.html").render(
        brief=brief,
        numbers={s.article_id: n for n, s in enumerate(brief.sources, 1)},
        title=brief.headline,
        lang=brief.language,
        quote_speakers=quotes_by_speaker(brief.quotes),
    )


def render_index(rows: list[BriefRow], file_name) -> str:
    return _ENVIRONMENT.get_template("index.html").render(
        rows=rows, file_name=file_name, title="Incident briefs", lang="en", wide=True
    )
