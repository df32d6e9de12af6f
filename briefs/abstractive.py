"""Optional abstractive rewriting of the extract through a transformers sequence-to-sequence model.

Each extracted sentence is rewritten on its own, so every output sentence cites exactly the source
sentence it was generated from; nothing is generated from text the brief cannot point to.
"""

from __future__ import annotations

import re

from incident_brief.briefs.model import SummarySentence
from incident_brief.briefs.text import clean_text
from incident_brief.errors import ModelError

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
MAX_INPUT_TOKENS = 512  # one sentence is far shorter; a longer input is cut, not an error


class Seq2SeqRewriter:
    """A transformers seq2seq model by name or path (e.g. a T5 or BART paraphrase/summary model)."""

    def __init__(self, model: str, *, prefix: str = "", max_new_tokens: int = 96) -> None:
        try:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        except ImportError:
            raise ModelError(
                "the abstractive backend needs transformers: pip install 'incident-brief[transformers]'"
            ) from None
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(model)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the summary model {model!r}: {exc}".splitlines()[0]) from None
        self.model.eval()
        self.name = model
        self.prefix = prefix
        self.max_new_tokens = max_new_tokens

    def rewrite(self, summary: list[SummarySentence]) -> list[SummarySentence]:
        if not summary:
            return []
        import torch

        inputs = self.tokenizer(
            [self.prefix + s.text for s in summary],
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=MAX_INPUT_TOKENS,
        )
        with torch.inference_mode():
            generated = self.model.generate(
                input_ids=inputs["input_ids"],  # only these two: some tokenizers add inputs a model rejects
                attention_mask=inputs["attention_mask"],
                max_new_tokens=self.max_new_tokens,
                num_beams=1,
            )
        texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        rewritten: list[SummarySentence] = []
        for source, text in zip(summary, texts, strict=True):
            sentences = [clean_text(part) for part in _SENTENCE_END.split(text) if clean_text(part)]
            if not sentences:  # the model produced nothing usable: keep the extracted sentence
                rewritten.append(source)
                continue
            rewritten.extend(
                SummarySentence(part, source.language, list(source.evidence)) for part in sentences
            )
        return rewritten
