"""`incident_ner_labels`: one label set over every model (OntoNotes, CoNLL, GermEval, transformers).

Numbers, dates and money leave `doc.ents` here: dedicated components extract them with values. An entity
the model ran over a line break is split there (a headline's last words and the next paragraph's first).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.nlp.extensions import register_extensions

LABEL_MAP = {
    "PERSON": "PER",
    "PER": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "WORK_OF_ART": "MISC",
    "MISC": "MISC",
    "OTH": "MISC",
    "PRODUCT": "PRODUCT",
}


@Language.factory("incident_ner_labels", default_config={"label_map": LABEL_MAP})
def make_label_mapper(nlp: Language, name: str, label_map: dict[str, str]) -> NerLabelMapper:
    register_extensions()
    return NerLabelMapper(label_map)


DETERMINERS = {"the", "der", "die", "das", "des", "dem", "den", "le", "la", "les", "l'"}
POSSESSIVE_ENDINGS = {"'s", "’s", "'", "’"}


class NerLabelMapper:
    def __init__(self, label_map: dict[str, str]) -> None:
        self.label_map = label_map

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for ent in doc.ents:
            label = self.label_map.get(ent.label_)
            if label is None:
                continue
            start, end = ent.start, ent.end
            # Models often include a leading article or a trailing possessive ("the Microsoft", "Amazon's").
            while start < end and doc[start].lower_ in DETERMINERS:
                start += 1
            while end > start and doc[end - 1].text in POSSESSIVE_ENDINGS:
                end -= 1
            for piece_start, piece_end in _paragraph_pieces(doc, start, end):
                span = Span(doc, piece_start, piece_end, label=label)
                span._.entity_source = "ner"
                spans.append(span)
        doc.ents = spans
        return doc


def _paragraph_pieces(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """A name never runs over a line break: a model that does not split sentences at paragraphs tags a
    headline's last words and the next paragraph's first ones as one entity ("Tarsis Logistics\n\nTarsis
    Logistics"); each side is a mention of its own."""
    pieces, piece_start = [], start
    for i in range(start, end + 1):
        if i == end or "\n" in doc[i].text:
            if i > piece_start:
                pieces.append((piece_start, i))
            piece_start = i + 1
    return pieces
