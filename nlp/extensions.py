"""The Doc and Span extensions every incident-brief component writes to (docs/formats.md names them)."""

from __future__ import annotations

from spacy.tokens import Doc, Span

SPAN_EXTENSIONS = {
    "canonical": None,  # document-level canonical name ("CJ Moses" for "Moses"; the catalog name for actors)
    "kb_id": None,  # catalog id: ATT&CK id for actors and software, normalised CVE id for vulnerabilities
    "role": None,  # normalised English role ("CISO", "CEO", "spokesperson") of a person
    "employer": None,  # canonical name of the organisation a person speaks for
    "entity_source": None,  # "ner", "gazetteer" or "pattern"
}
DOC_EXTENSIONS = {
    "published": None,  # ISO 8601 publication date of the article, the anchor for relative dates
    "language_confidence": None,
    "requirements": None,  # incident_requirements: security requirements (nlp/requirements.py)
}


def register_extensions() -> None:
    """Idempotent: every component factory calls it, so any pipeline has the extensions it writes."""
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    for name, default in DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
