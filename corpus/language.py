"""Language identification of extracted text with py3langid (langid.py's model, 97 languages)."""

from __future__ import annotations

from dataclasses import dataclass

from py3langid.langid import MODEL_FILE
from py3langid.langid import LanguageIdentifier as LangidModel

# Below this many letters the character n-gram model guesses ("Hallo Welt" scores 0.13 for German).
MIN_LETTERS = 20
# Guesses this unsure are mostly mixed-language boilerplate or symbol soup.
MIN_CONFIDENCE = 0.5
# A page's language shows in its first few thousand characters; the rest only costs time.
MAX_CHARS = 10_000
NO_LANGUAGE = "zxx"  # the model's label for "no linguistic content"


@dataclass
class LanguageGuess:
    language: str | None  # ISO 639-1, None when the text is too short or too garbled to tell
    confidence: float  # normalised probability of `language`, 0.0 when it is None


class LanguageIdentifier:
    """Loads the model once (about 0.6 s) and classifies any number of texts with it."""

    def __init__(self) -> None:
        self._model = LangidModel.from_model_file(MODEL_FILE, norm_probs=True)

    def identify(self, text: str) -> LanguageGuess:
        sample = (text or "")[:MAX_CHARS]
        if sum(char.isalpha() for char in sample) < MIN_LETTERS:
            return LanguageGuess(language=None, confidence=0.0)
        language, confidence = self._model.classify(sample)
        if language == NO_LANGUAGE or confidence < MIN_CONFIDENCE:
            return LanguageGuess(language=None, confidence=0.0)
        return LanguageGuess(language=str(language), confidence=float(confidence))
