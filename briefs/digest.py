"""A per-article Markdown digest of the store: what `brief summarize` writes until incident briefs exist."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.errors import UsageError

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def write_digest(store: Store, out_dir: Path) -> Path:
    """Write OUT/digest.md atomically (temporary file, then rename) and return its path."""
    articles = list(store.iter_articles())
    text = render_digest(articles)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=".digest-", suffix=".md")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        target = out_dir / "digest.md"
        os.replace(temporary, target)
    except OSError as exc:
        raise UsageError(f"cannot write to {out_dir}: {exc.strerror}") from None
    return target


def render_digest(articles: list[Article]) -> str:
    originals = [a for a in articles if a.duplicate_of is None]
    originals.sort(key=lambda a: (a.published or "", a.id), reverse=True)
    copies: dict[int, list[Article]] = {}
    for article in articles:
        if article.duplicate_of is not None:
            copies.setdefault(article.duplicate_of, []).append(article)
    lines = [f"# Digest: {len(originals)} articles ({len(articles) - len(originals)} copies linked)", ""]
    for article in originals:
        lines.append(f"## {_escape(article.title or '(untitled)')}")
        lines.append("")
        meta = [article.site_name or "", (article.published or "date unknown")[:10], article.language or "?"]
        lines.append(
            " · ".join(_escape(m) for m in meta if m) + f" · <{article.canonical_url or article.url}>"
        )
        lines.append("")
        lines.append(_escape(_lead(article.text)))
        for copy in copies.get(article.id, []):
            lines.append(
                f"- also: {_escape(copy.site_name or copy.url)} ({copy.duplicate_kind} copy) <{copy.url}>"
            )
        lines.append("")
    return "\n".join(lines)


def _lead(text: str, sentences: int = 2) -> str:
    parts = _SENTENCE_END.split(" ".join(text.split()))
    return " ".join(parts[:sentences])


def _escape(text: str) -> str:
    """Scraped text is data: neutralise Markdown and HTML so it renders as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
