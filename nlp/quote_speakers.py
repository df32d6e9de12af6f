"""A learned speaker ranker on top of the attribution rules of `incident_quotes`.

For each quote the rules have attributed (or left without a speaker), the candidates are every person or
organisation mentioned near it (entity mentions, and pronouns and role nouns the rules resolved, as the
entity they resolved to) in the quote's sentences, the `WINDOW_BEFORE` sentences before and the sentence
after, in the same paragraphs, plus the rules' own choice wherever it stands, plus "no speaker". Each
candidate gets the features in `FEATURES`; a linear model (pairwise logistic regression, trained by
`models/recipes/quotes/train_speaker_ranker.py` with scikit-learn, weights shipped in
`nlp/data/quote_speaker_model.json`) scores them and the best one is the speaker. "No speaker" is a
candidate with features of its own, so the model also learns when no candidate is good enough.
Scoring is plain Python: a few dozen multiplications per candidate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from incident_brief.errors import ModelError

MODEL_PATH = Path(__file__).resolve().parent / "data" / "quote_speaker_model.json"
WINDOW_BEFORE = 2  # sentences before the quote's own whose mentions are candidates
WINDOW_AFTER = 1  # … and after it
NEAR_CUE_TOKENS = 3  # "sagte Moses", "Moses said": a mention this close to the cue word is its neighbour
PERSON, GROUP, OTHER = "PER", "ORG", "OTHER"

# Rule levels as the component names them (`quotes.CONFIDENCE`): how the rules found their speaker.
RULE_LEVELS = ("named", "pronoun", "role", "continued")

FEATURES = (
    # the rules' choice and how they reached it
    "rule",
    "rule_named",
    "rule_pronoun",
    "rule_role",
    "rule_continued",
    "rule_de",
    # the candidate and where it is mentioned relative to the quote
    "person",
    "organisation",
    "other_label",
    "same_sentence",
    "sentence_distance",
    "token_distance",
    "before_quote",
    "in_attribution",
    "subject_of_cue",
    "near_cue",
    "between_parts",
    "previous_speaker",
    "salience",
    "gender_clash",
    "gender_match",
    "pronoun_person",
    "reference_label_clash",
    "extends_rule",
    "medium",
    "only_in_quotes",
    # "no speaker"
    "none",
    "none_rule",
    "none_no_attribution",
    "none_no_cue",
    "none_partial",
    "none_indirect",
    "none_de",
)


@dataclass(frozen=True)
class SpeakerModel:
    weights: dict[str, float]
    bias: float
    path: Path

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SpeakerModel:
        """The shipped weights; a missing or damaged file is a ModelError naming it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            weights = {
                str(name): float(value) for name, value in zip(data["features"], data["weights"], strict=True)
            }
            bias = float(data["bias"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(
                f"quote speaker model unreadable: {path}: {type(exc).__name__}: {exc} "
                "(reinstall incident-brief)"
            ) from None
        unknown = sorted(set(weights) - set(FEATURES))
        if unknown or not all(math.isfinite(w) for w in weights.values()) or not math.isfinite(bias):
            raise ModelError(
                f"quote speaker model malformed: {path}: "
                + (f"unknown features {', '.join(unknown)}" if unknown else "weights not finite")
                + " (reinstall incident-brief)"
            )
        return cls(weights, bias, path)

    def score(self, features: dict[str, float]) -> float:
        return self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())


@dataclass(frozen=True)
class MentionAt:
    """A person or organisation mentioned at token `token`, as the entity it is (or resolved to)."""

    token: int
    label: str  # PERSON, GROUP or OTHER (a name the NER tagged otherwise or not at all)
    canonical: str
    written: str  # as written: "Moses", "er", "die Sprecherin"
    kb_id: str | None
    in_quote: bool
    medium: bool  # spoken to: "told Reuters", "sagte der Rheinischen Post"
    first_name_gender: str | None  # MALE, FEMALE or None (people only)


@dataclass(frozen=True)
class QuoteSite:
    """One quote as the rules left it, in token terms."""

    language: str
    kind: str  # direct, partial, indirect
    first: int  # first and last token of the quote (split quotes: with the attribution between the parts)
    last: int
    attribution: tuple[int, int] | None  # token range of the attribution the rules found
    cue: int | None
    cue_subjects: frozenset[int]  # tokens that are subjects of the cue verb (English parse)
    quoted: frozenset[int]  # tokens inside quotation marks within [first, last]
    rule_canonical: str | None
    rule_level: str | None  # a RULE_LEVELS entry, None when the rules found no speaker
    pronoun_gender: str | None  # the rules' speaker phrase is he/she: its gender
    reference_label: (
        str | None
    )  # the rules' speaker phrase is a pronoun or organisation noun: PERSON or GROUP
    previous_canonical: str | None  # the rules' speaker of the quote before


@dataclass(frozen=True)
class Candidate:
    canonical: str | None  # None: "no speaker"
    written: str | None
    kb_id: str | None
    features: dict[str, float]


@dataclass(frozen=True)
class DocLayout:
    """Sentence and paragraph index of every token, for windows and distances."""

    sentence_of: list[int]
    paragraph_of: list[int]


def candidates(site: QuoteSite, mentions: list[MentionAt], layout: DocLayout) -> list[Candidate]:
    """The speakers the model chooses between: "no speaker" first, then each entity once."""
    first_sentence = layout.sentence_of[site.first]
    last_sentence = layout.sentence_of[site.last]
    paragraphs = range(layout.paragraph_of[site.first], layout.paragraph_of[site.last] + 1)
    low, high = first_sentence - WINDOW_BEFORE, last_sentence + WINDOW_AFTER
    grouped: dict[str, list[MentionAt]] = {}
    salience: dict[str, int] = {}
    for mention in mentions:
        if mention.token <= site.last:
            salience[mention.canonical] = salience.get(mention.canonical, 0) + 1
        in_window = (
            low <= layout.sentence_of[mention.token] <= high
            and layout.paragraph_of[mention.token] in paragraphs
        )
        if in_window or mention.canonical == site.rule_canonical:
            grouped.setdefault(mention.canonical, []).append(mention)
    found = [_no_speaker(site)]
    for canonical, group in grouped.items():
        found.append(_candidate(site, canonical, group, salience.get(canonical, 0), layout))
    if site.rule_canonical is not None and site.rule_canonical not in grouped:
        # A speaker the rules found outside every entity mention ("a council worker" as written)
        features = {"rule": 1.0, f"rule_{site.rule_level}": 1.0, "rule_de": float(site.language == "de")}
        found.append(Candidate(site.rule_canonical, None, None, features))
    return found


def choose(found: list[Candidate], model: SpeakerModel) -> Candidate:
    return max(found, key=lambda candidate: model.score(candidate.features))


def _no_speaker(site: QuoteSite) -> Candidate:
    features = {
        "none": 1.0,
        "none_rule": float(site.rule_canonical is None),
        "none_no_attribution": float(site.attribution is None),
        "none_no_cue": float(site.cue is None),
        "none_partial": float(site.kind == "partial"),
        "none_indirect": float(site.kind == "indirect"),
        "none_de": float(site.language == "de"),
    }
    return Candidate(None, None, None, features)


def _candidate(
    site: QuoteSite, canonical: str, group: list[MentionAt], salience: int, layout: DocLayout
) -> Candidate:
    def distance(token: int) -> int:
        if token < site.first:
            return site.first - token
        return max(0, token - site.last)

    nearest = min(group, key=lambda m: distance(m.token))
    quote_sentences = (layout.sentence_of[site.first], layout.sentence_of[site.last])
    sentence_gap = min(
        max(
            0,
            quote_sentences[0] - layout.sentence_of[m.token],
            layout.sentence_of[m.token] - quote_sentences[1],
        )
        for m in group
    )
    attribution = site.attribution or (-1, -2)
    is_rule = canonical == site.rule_canonical
    features = {
        "rule": float(is_rule),
        "person": float(nearest.label == PERSON),
        "organisation": float(nearest.label == GROUP),
        "other_label": float(nearest.label == OTHER),
        "same_sentence": float(sentence_gap == 0),
        "sentence_distance": min(sentence_gap, 4) / 4,
        "token_distance": math.log1p(distance(nearest.token)) / 5,
        "before_quote": float(nearest.token < site.first),
        "in_attribution": float(any(attribution[0] <= m.token <= attribution[1] for m in group)),
        "subject_of_cue": float(any(m.token in site.cue_subjects for m in group)),
        "near_cue": float(
            site.cue is not None and any(abs(m.token - site.cue) <= NEAR_CUE_TOKENS for m in group)
        ),
        "between_parts": float(
            any(site.first < m.token < site.last and m.token not in site.quoted for m in group)
        ),
        "previous_speaker": float(canonical == site.previous_canonical),
        "salience": math.log1p(salience) / 3,
        "gender_clash": float(
            site.pronoun_gender is not None
            and nearest.first_name_gender is not None
            and nearest.first_name_gender != site.pronoun_gender
        ),
        "gender_match": float(
            site.pronoun_gender is not None and nearest.first_name_gender == site.pronoun_gender
        ),
        "pronoun_person": float(site.pronoun_gender is not None and nearest.label == PERSON),
        "reference_label_clash": float(
            site.reference_label is not None and nearest.label != site.reference_label
        ),
        "extends_rule": float(
            site.rule_canonical is not None
            and canonical != site.rule_canonical
            and site.rule_canonical in canonical
        ),
        "medium": float(all(m.medium for m in group)),
        "only_in_quotes": float(all(m.in_quote for m in group)),
    }
    if is_rule and site.rule_level in RULE_LEVELS:
        features[f"rule_{site.rule_level}"] = 1.0
        features["rule_de"] = float(site.language == "de")
    written = next((m.written for m in group if not m.in_quote), nearest.written)
    kb_id = next((m.kb_id for m in group if m.kb_id), None)
    return Candidate(canonical, written, kb_id, features)
