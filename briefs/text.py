"""Scraped text made safe to show, and articles cut into sentences with their offsets.

Every string a brief shows passes `clean_text` once, when the brief is built, so no output format can
be reordered by a right-to-left override or broken by a control character; escaping for Markdown and
HTML is the renderers' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import spacy
from spacy.language import Language

# Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and the marks
# (U+200E, U+200F, U+061C): they can make a text display as something other than what it is.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# C0 and C1 controls and DEL; line breaks and tabs become spaces like any other control.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
# An opening quotation mark the sentencizer left at the end of the sentence before it.
_STRANDED_OPENING_QUOTE = re.compile(r"\s+([\"„“»«‚‘']+)$")

MIN_SENTENCE_CHARS = 25  # shorter pieces are bylines, datelines and captions, not statements
MAX_SENTENCE_CHARS = 600  # longer ones are lists or run-on markup, not one sentence


def clean_text(text: str) -> str:
    """One line of inert text: bidi controls removed, other controls and runs of space made one space."""
    text = _BIDI_CONTROLS.sub("", text)
    return _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()


@dataclass(frozen=True)
class SentenceSpan:
    start: int
    end: int


class SentenceSplitter:
    """Sentences of a text as character spans, one rule-based spaCy pipeline per language.

    The language's tokenizer knows its abbreviations ("Dr.", "z. B."), which a regular expression would
    cut at; sentences never cross a paragraph (line) boundary.
    """

    def __init__(self) -> None:
        self._pipelines: dict[str, Language] = {}

    def _pipeline(self, language: str | None) -> Language:
        code = language or "xx"
        if code not in self._pipelines:
            try:
                nlp = spacy.blank(code)
            except (ImportError, KeyError):  # a language spaCy has no tokenizer rules for
                nlp = spacy.blank("xx")
            nlp.add_pipe("sentencizer")
            self._pipelines[code] = nlp
        return self._pipelines[code]

    def split(self, text: str, language: str | None) -> list[SentenceSpan]:
        nlp = self._pipeline(language)
        spans: list[SentenceSpan] = []
        for paragraph in re.finditer(r"[^\n]+", text):
            bounds = [[s.start_char, s.end_char] for s in nlp(paragraph.group()).sents]
            for before, after in zip(bounds, bounds[1:], strict=False):
                stranded = _STRANDED_OPENING_QUOTE.search(paragraph.group(), before[0], before[1])
                if stranded:
                    before[1] = stranded.start()
                    after[0] = stranded.start(1)
            for start, end in bounds:
                if MIN_SENTENCE_CHARS <= end - start <= MAX_SENTENCE_CHARS:
                    spans.append(SentenceSpan(paragraph.start() + start, paragraph.start() + end))
        return spans
