"""`incident_ner_labels`: one label set over every model (OntoNotes, CoNLL, GermEval, transformers).

Numbers, dates and money leave `doc.ents` here: dedicated components extract them with values.
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
            if start == end:
                continue
            span = Span(doc, start, end, label=label)
            span._.entity_source = "ner"
            spans.append(span)
        doc.ents = spans
        return doc
