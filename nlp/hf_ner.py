"""`incident_hf_ner`: named entities from a transformers token-classification model.

The full-quality path for languages without a good spaCy model: configure e.g.
`de_model = "hf:Davlan/xlm-roberta-base-ner-hrl"` (downloaded by transformers when online, or a local
directory). Sentences are classified one by one, so long articles need no truncation.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from incident_brief.errors import ModelError
from incident_brief.nlp.extensions import register_extensions

INSTALL_HINT = "pip install 'incident-brief[transformers]'"


@Language.factory("incident_hf_ner", default_config={"model": "", "batch_size": 16, "min_score": 0.5})
def make_hf_ner(nlp: Language, name: str, model: str, batch_size: int, min_score: float) -> TransformersNer:
    register_extensions()
    return TransformersNer(model, batch_size=batch_size, min_score=min_score)


class TransformersNer:
    def __init__(self, model: str, *, batch_size: int = 16, min_score: float = 0.5) -> None:
        self.model = model
        self.batch_size = batch_size
        self.min_score = min_score
        self._pipeline = None

    def _load(self):
        if self._pipeline is None:
            try:
                from transformers import pipeline
            except ImportError:
                raise ModelError(
                    f"transformers is not installed (needed by hf:{self.model}); {INSTALL_HINT}"
                ) from None
            try:
                self._pipeline = pipeline(
                    "token-classification", model=self.model, aggregation_strategy="simple", device=-1
                )
            except (OSError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                raise ModelError(
                    f"transformers model {self.model!r} cannot be loaded ({first}); give a local model "
                    f"directory or a Hugging Face id reachable from this machine"
                ) from None
        return self._pipeline

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs, batch_size: int | None = None):
        docs = list(docs)
        sentences = [
            (d, sent) for d in docs for sent in (d.sents if d.has_annotation("SENT_START") else [d[:]])
        ]
        texts = [sent.text for _, sent in sentences]
        predictions = self._load()(texts, batch_size=batch_size or self.batch_size) if texts else []
        found: dict[int, list] = {id(d): [] for d in docs}
        for (doc, sent), entities in zip(sentences, predictions, strict=True):
            for entity in entities:
                if entity["score"] < self.min_score:
                    continue
                span = doc.char_span(
                    sent.start_char + entity["start"],
                    sent.start_char + entity["end"],
                    label=entity["entity_group"],
                    alignment_mode="expand",
                )
                if span is not None:
                    found[id(doc)].append(span)
        for doc in docs:
            doc.ents = filter_spans(found[id(doc)])
            yield doc
