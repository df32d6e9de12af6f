"""Pipelines whose entity_ruler plays the NER model: they tag exactly the entities a test names (its
mistakes included), then run the project's components, so each rule is tested on exactly its input."""

from __future__ import annotations

import spacy
from spacy.language import Language

import incident_brief.nlp.canonical  # noqa: F401 (registers the factories)
import incident_brief.nlp.labels  # noqa: F401
import incident_brief.nlp.quotes  # noqa: F401
import incident_brief.nlp.roles  # noqa: F401

# The seed article's people and organisations, as the quote tests tag them.
SEED_ENTITIES = [
    ("CJ Moses", "PER"),
    ("Charlie Bell", "PER"),
    ("Satya Nadella", "PER"),
    ("Moses", "PER"),
    ("Amazon", "ORG"),
    ("Microsoft", "ORG"),
    ("Bloomberg", "ORG"),
]


def ruled_pipeline(lang: str, entities: list[tuple[str, str]], components: tuple[str, ...]) -> Language:
    """A blank `lang` pipeline tagging exactly `entities` (text, label; the longest match wins), then
    `components` with their default configuration."""
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": text} for text, label in entities])
    for factory in components:
        nlp.add_pipe(factory)
    return nlp
