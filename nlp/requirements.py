"""`incident_requirements`: security requirements stated in a text, normalised and mapped to controls.

Results go to `doc._.requirements`, a list of `Requirement` in text order. Runs after `incident_quotes`.

Detection works on statements: each direct or indirect quote (its speaker is the requester), and each
sentence line outside them (quoted words blanked, so offsets stay). A statement is a requirement when
1. a cue makes it a demand (nlp/data/requirement_cues.json): a deontic modal ("must", "sollten",
   "dürfen nicht"), a directive verb ("urged X to", "fordert ... auf", "setzt sich dafür ein"), a
   volitional or importance statement ("we wanted to make sure", "betonte die Bedeutung"), a nominal
   demand ("Verbesserungsbedarf bei", "calls for"), holding someone to the same standards, or an
   imperative / bullet line of an advisory; cues that are narration ("were required to", "sollte
   ursprünglich"), epistemic ("must have been", "dürften ... haben") or inside an embedded question
   ("wie ... sollen") do not count, and attacker demands (ransom), definitions, complaints and
   questions are ruled out;
2. the security gate passes: the statement names a concept of the bilingual security lexicon
   (nlp/data/security_concepts.json).
The German pipeline has no tagger or parser, so every rule works on regular expressions, entities and
a list of actor nouns, in both languages alike.

Normalisation: modality (must/should/may; "dürfen nicht" is must + negative), polarity (a negation in
the cue's clause), requester (the quote's speaker, else the subject of a directive or nominal cue, or
"von X geforderte"), addressee (the object of a directive, the subject of a modal, else the organisation
the statement names, else the most recent other organisation before it), concepts, and a template
statement in English. An enumeration after the cue ("darunter X und Y", "including X and Y") gives one
requirement per item that names its own concepts.

Controls: each concept lists NIST SP 800-53 rev5 controls, best first, and the concepts are weighted by
their place relative to the cue, standing in for their syntactic role (`ROLE_WEIGHT`): the demanded
action outranks the rest of the demand, its subject, concepts named by a party and those in a context
phrase ("after the phishing attack"). BM25 over the shipped control statements
(models/catalogs/nist80053-rev5.json) breaks ties and fills the list when the lexicon names fewer than
`MIN_CONTROLS`. ATT&CK mitigations come from the concepts. A requirement that restates an earlier one
(same requester, same main concept) points at it (`same_as`).

Learned parts (nlp/requirement_models.py; config `learned`, on by default): a detector adds statements
the rules reject but that show a sign of a demand (a cue, a cue cancelled as narration, or a security
concept in a quote; `Signals.candidate`), and the control ranking adds the votes of the nearest labelled
requirement sentences to the lexicon's scores. Both read one multilingual USE vector per accepted or
candidate statement, embedded in one batch per Doc. A requirement only the detector found and that
names no concept takes its controls from the exemplars and is stated as "should meet NIST control …".

Cost: most lines hold no cue. A line goes further only when it contains a key word of some cue rule
(read off the rules as they load); cue patterns are matched on lower-cased text behind screens that
cannot lose a match (`Screened`), concept patterns behind one screen for the whole lexicon per language
(`LexiconScreen`). With the learned parts the embedding is most of the cost (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi
from spacy.language import Language
from spacy.tokens import Doc

from incident_brief.errors import ModelError
from incident_brief.models.catalogs import (
    CONTROLS_PATH,
    SHIPPED_DIR,
    Control,
    load_catalog,
    load_controls,
    read_json_asset,
)
from incident_brief.nlp.extensions import register_extensions
from incident_brief.nlp.requirement_models import LearnedModels, features

DATA_DIR = Path(__file__).resolve().parent / "data"
CONCEPTS_PATH = DATA_DIR / "security_concepts.json"
CUES_PATH = DATA_DIR / "requirement_cues.json"
MITIGATIONS_PATH = SHIPPED_DIR / "attack-mitigations.json"

MAX_CONTROLS = 5
MAX_MITIGATIONS = 3
MIN_CONTROLS = 3  # fewer from the lexicon: BM25 fills the list
MAX_CONCEPTS = 4
RANK_STEP = 0.08  # score lost per place in a concept's control list
CONCEPT_STEP = 0.05  # ... and per concept named later in the statement
BM25_TIE_BREAK = 0.04  # below CONCEPT_STEP: BM25 orders equal lexicon scores, never overturns them
BM25_FILL = 0.5  # controls only BM25 found rank below the lexicon's
LOOKBACK_SENTENCES = 3  # how far back an addressee the statement does not name is looked for
CLAUSE_WINDOW = 60  # characters after a cue in which a negation belongs to it
# A concept's weight by its place relative to the cue (RequirementFinder._by_role): the demanded action
# outranks the rest of the demand's complement, its subject, the parties and the context phrases.
ROLE_WEIGHT = {"head": 1.0, "complement": 0.9, "subject": 0.85, "party": 0.7, "context": 0.6}
CONTEXT_WORDS = 6  # a context phrase ("after the phishing attack on its payroll contractor") spans at most
CONFIDENCE = {
    "directive": 0.9,
    "modal": 0.85,
    "volitional": 0.8,
    "imperative": 0.8,
    "importance": 0.75,
    "nominal": 0.75,
    "standard": 0.75,
    "learned": 0.7,  # no cue: the detector's probability, at most this
}
CUE_PRIORITY = (
    "directive",
    "modal",
    "standard",
    "volitional",
    "importance",
    "nominal",
    "imperative",
    "learned",
)
PARTY_LABELS = {"PER", "ORG"}
QUOTE_REMAINS = " \t„“”\"»«‚‘’‹›'"  # left at the end of an attribution line when its quote is blanked
STOPWORDS = frozenset(
    "a an the and or of to in on for with by at from as is are be its their it this that all any every "
    "must should may not no use".split()
)
_WORD = re.compile(r"[a-z][a-z0-9-]+")
_LETTER = re.compile(r"[^\W\d_]")
_ANY_WORD = re.compile(r"\w+")
_LINE = re.compile(r"[^\n]+")
_PLAIN_OPENING = re.compile(r"\(([\w' |-]+)\)(?![?*{])")  # "(apply|install|deploy)", not optional
_LITERAL_OPENING = re.compile(r"[\w' -]+")
_UPPER_LITERAL = re.compile(r"(?<!\\)[A-Z]|(?<=\\\\)[A-Z]")  # the texts are folded to lower case
_PLAIN_GROUP = re.compile(r"\((?!\?)([\w' |]+)\)")  # "(must|have to|it's)"
# before a group: a word boundary, a space, or a group ending in a space and repeated ("(\w+ ){0,2}?")
_BOUNDED_BEFORE = re.compile(r"(?:\\b| | \)(?:\?|\{\d*,\d*\}\??))$")
_BOUNDED_AFTER = re.compile(r"\\b| |$")


# --- lexicon and catalogs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    statement: str  # the demanded action, for the English statement: "log security-relevant events"
    prohibition: str  # the forbidden action, for negated requirements
    patterns: dict[str, Screened]  # language -> one alternation of the concept's terms
    controls: tuple[str, ...]  # NIST SP 800-53 rev5 ids, best first
    mitigations: tuple[str, ...]  # ATT&CK ids
    weight: float = 1.0
    gate: bool = True  # False: context only, never a security statement by itself


@dataclass(frozen=True)
class ConceptMatch:
    concept: Concept
    start: int
    end: int
    role: float = 1.0  # how central to the demand its place in the statement is (`ROLE_WEIGHT`)


def _compile(path: Path, what: str, patterns: Iterable[str], folded: bool = False) -> re.Pattern:
    """One alternation. `folded`: for text passed through `_fold`, case-sensitive (the lexicons are
    written in lower case), which Python's re matches about twice as fast as IGNORECASE."""
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", 0 if folded else re.IGNORECASE)
    except re.error as error:
        raise ModelError(f"{what} malformed: {path}: bad pattern: {error}") from None


@dataclass(frozen=True)
class Screened:
    """A pattern for folded text behind a cheap screen. Most statements name few concepts, and one
    exact search per concept costs more than the rest of the component. The screen looks for the
    alternatives' literal openings ("patch" of `\\bpatch\\w*`) with `in`, and searches the alternatives
    without one stripped of their leading `\\b` (re skips ahead fast only in patterns that do not open
    with an assertion). Whatever the pattern matches passes the screen, so nothing is lost."""

    anchors: tuple[str, ...]
    rest: re.Pattern | None
    exact: re.Pattern

    @classmethod
    def compile(cls, path: Path, what: str, patterns: list[str]) -> Screened:
        anchors: set[str] = set()
        rest = []
        for pattern in patterns:
            if _UPPER_LITERAL.search(pattern):
                raise ModelError(f"{what} malformed: {path}: pattern not in lower case: {pattern}")
            found = _anchors(pattern.removeprefix("\\b"))
            if found:
                anchors |= found
            else:
                rest.append(pattern.removeprefix("\\b"))
        screen = _compile(path, what, rest, folded=True) if rest else None
        return cls(tuple(sorted(anchors)), screen, _compile(path, what, patterns, folded=True))

    def finditer(self, folded: str) -> Iterable[re.Match]:
        for anchor in self.anchors:
            if anchor in folded:
                return self.exact.finditer(folded)
        if self.rest is not None and self.rest.search(folded):
            return self.exact.finditer(folded)
        return ()


def _anchors(pattern: str) -> set[str] | None:
    """Literal strings one of which every match of `pattern` opens with: its plain opening group's
    alternatives ("(apply|install) …") or its literal opening ("network segment\\w*"); else None."""
    if _top_level_bar(pattern):
        return None
    group = _PLAIN_OPENING.match(pattern)
    if group:
        return set(group[1].split("|")) if all(group[1].split("|")) else None
    literal = _LITERAL_OPENING.match(pattern)
    if literal is None:
        return None
    text = literal[0]
    if pattern[literal.end() : literal.end() + 1] in ("?", "*", "{"):  # the last character is optional
        text = text[:-1]
    return {text} if text.strip() else None


def _top_level_bar(pattern: str) -> bool:
    """Whether `pattern` is itself an alternation ("a|b"): its opening then says nothing."""
    depth, escaped, in_class = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
    return False


def _fold(text: str) -> str:
    """Lower case with offsets kept: a character whose lower case is longer ("İ") stays as it is."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


class ConceptLexicon:
    """The bilingual security concept lexicon: the security gate and the first source of controls."""

    def __init__(self, concepts: list[Concept]) -> None:
        self.concepts = concepts
        self.by_id = {c.id: c for c in concepts}
        self.screens = {lang: LexiconScreen.build(concepts, lang) for lang in ("en", "de")}

    @classmethod
    def load(cls, path: Path = CONCEPTS_PATH) -> ConceptLexicon:
        what = "security concept lexicon"
        data = read_json_asset(path, what)
        try:
            concepts = [
                Concept(
                    id=c["id"],
                    label=c["label"],
                    statement=c["statement"],
                    prohibition=c["prohibition"],
                    patterns={lang: Screened.compile(path, what, c[lang]) for lang in ("en", "de")},
                    controls=tuple(c["controls"]),
                    mitigations=tuple(c["mitigations"]),
                    weight=float(c.get("weight", 1.0)),
                    gate=bool(c.get("gate", True)),
                )
                for c in data["concepts"]
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"{what} malformed: {path}: missing or bad {error}") from None
        return cls(concepts)

    def find(self, text: str, language: str) -> list[ConceptMatch]:
        """Concepts named in `text`, in text order; a match inside a longer one is dropped, so
        "Multi-Faktor-Authentifizierung" is MFA and not also plain authentication."""
        lang = language if language in ("en", "de") else "en"
        text = _fold(text)
        found = [
            ConceptMatch(concept, m.start(), m.end())
            for concept in self.screens[lang].candidates(text)
            for m in concept.patterns[lang].exact.finditer(text)
            if m.end() > m.start()
        ]
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        kept: list[ConceptMatch] = []
        for match in found:
            inside = any(k.start <= match.start and match.end <= k.end and k.concept is not match.concept
                         for k in kept)  # fmt: skip
            if not inside:
                kept.append(match)
        seen: set[str] = set()
        return [m for m in kept if not (m.concept.id in seen or seen.add(m.concept.id))]


@dataclass(frozen=True)
class LexiconScreen:
    """One screen for the whole lexicon in one language: the concepts that can match a folded text.
    The concepts' literal openings (`Screened.anchors`) form one trie-shaped pattern searched at every
    position by a lookahead, which costs a few microseconds a line where one `in` test per opening
    and concept cost about 40; a concept whose patterns have no opening keeps its own screen. As with
    `Screened`, every concept that matches passes."""

    language: str
    anchors: re.Pattern
    by_anchor: dict[str, tuple[Concept, ...]]
    unanchored: tuple[Concept, ...]

    @classmethod
    def build(cls, concepts: list[Concept], language: str) -> LexiconScreen:
        by_anchor: dict[str, list[Concept]] = {}
        for concept in concepts:
            for anchor in concept.patterns[language].anchors:
                by_anchor.setdefault(anchor, []).append(concept)
        unanchored = tuple(c for c in concepts if c.patterns[language].rest is not None)
        trie = _trie_pattern(by_anchor) if by_anchor else "(?!)"
        anchors = re.compile(f"(?=({trie}))")
        return cls(language, anchors, {a: tuple(c) for a, c in by_anchor.items()}, unanchored)

    def candidates(self, folded: str) -> list[Concept]:
        found: dict[str, Concept] = {}
        for match in self.anchors.finditer(folded):
            hit = match.group(1)  # the longest opening here; the shorter ones it starts with are here too
            for end in range(1, len(hit) + 1):
                for concept in self.by_anchor.get(hit[:end], ()):
                    found[concept.id] = concept
        for concept in self.unanchored:
            if concept.id not in found and concept.patterns[self.language].rest.search(folded):
                found[concept.id] = concept
        return list(found.values())


def _trie_pattern(words: Iterable[str]) -> str:
    """An alternation of literal `words` shaped as a trie ("pa(?:ss|tch)"): re tries alternatives one
    by one, so a flat alternation of ~400 words is slower than the `in` tests it replaces."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


class ControlCatalog:
    """NIST SP 800-53 rev5 controls and ATT&CK mitigations as shipped, with a BM25 index over the
    controls' titles and statements."""

    def __init__(self, controls: list[Control], mitigations: dict[str, str]) -> None:
        self.controls = {c.id: c for c in controls}
        self.mitigations = mitigations
        self._ids = [c.id for c in controls]
        self._index = BM25Okapi([_terms(f"{c.title} {c.statement}") for c in controls])
        # Queries come from concept labels, so few distinct ones: rank_bm25 scores in Python (~2 ms each).
        self._ranked: dict[tuple[str, int], list[tuple[str, float]]] = {}

    @classmethod
    def load(
        cls, controls_path: Path = CONTROLS_PATH, mitigations_path: Path = MITIGATIONS_PATH
    ) -> ControlCatalog:
        controls = load_controls(controls_path)
        what = "mitigation catalog"
        data = read_json_asset(mitigations_path, what)
        try:
            mitigations = {m["id"]: m["name"] for m in data["mitigations"]}
        except (KeyError, TypeError) as error:
            raise ModelError(f"{what} malformed: {mitigations_path}: missing {error}") from None
        return cls(controls, mitigations)

    def check(self, lexicon: ConceptLexicon, path: Path = CONCEPTS_PATH) -> None:
        """Every id the lexicon names must be in the catalogs: a typo would silently lose a control."""
        for concept in lexicon.concepts:
            unknown = [i for i in concept.controls if i not in self.controls]
            unknown += [i for i in concept.mitigations if i not in self.mitigations]
            if unknown:
                raise ModelError(
                    f"security concept lexicon malformed: {path}: {concept.id} names unknown ids {unknown}"
                )

    def bm25(self, query: str, top: int = 20) -> list[tuple[str, float]]:
        """The best-matching controls with scores normalised to the best one (1.0)."""
        key = (query, top)
        if key not in self._ranked:
            self._ranked[key] = self._bm25(query, top)
        return self._ranked[key]

    def _bm25(self, query: str, top: int) -> list[tuple[str, float]]:
        scores = self._index.get_scores(_terms(query))
        order = scores.argsort()[::-1][:top]
        best = float(scores[order[0]]) if len(order) else 0.0
        if best <= 0:
            return []
        return [(self._ids[i], float(scores[i]) / best) for i in order if scores[i] > 0]


def _terms(text: str) -> list[str]:
    """BM25 terms: lower-case words without stop words, crudely stemmed ("logs", "logging" -> "log")."""
    terms = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        terms.append(word)
    return terms


@dataclass(frozen=True)
class CueRule:
    kind: str
    modality: str
    pattern: Screened
    key_words: frozenset[str] | None  # one of them is in every match (`_key_words`); None: unknown


@dataclass(frozen=True)
class CueLexicon:
    """One language's cue patterns (nlp/data/requirement_cues.json)."""

    cues: tuple[CueRule, ...]
    imperative: re.Pattern
    bullet: re.Pattern
    bullet_verb: re.Pattern
    negation: re.Pattern
    narration: re.Pattern
    epistemic: re.Pattern
    attacker: re.Pattern
    definition: re.Pattern
    complaint: re.Pattern
    embedded_question: re.Pattern
    open_question: re.Pattern  # a statement opening with "ob"/"whether" asks about a duty, states none
    actor_nouns: re.Pattern
    enumeration: re.Pattern
    coordination: re.Pattern
    requester_by: re.Pattern
    addressee_by: re.Pattern
    context: re.Pattern  # opens a phrase that gives the occasion or the beneficiary, not the demand

    @classmethod
    def load(cls, language: str, path: Path = CUES_PATH) -> CueLexicon:
        what = "requirement cue lexicon"
        data = read_json_asset(path, what)
        try:
            entry = data.get(language) or data["en"]
            cues = tuple(
                CueRule(
                    c["kind"],
                    c["modality"],
                    Screened.compile(path, what, [c["pattern"]]),
                    None if (words := _key_words(c["pattern"])) is None else frozenset(words),
                )
                for c in entry["cues"]
            )
            patterns = {
                key: _compile(path, what, entry[key] if isinstance(entry[key], list) else [entry[key]])
                for key in cls.__dataclass_fields__
                if key != "cues"
            }
        except (KeyError, TypeError, AttributeError) as error:
            raise ModelError(f"{what} malformed: {path}: missing or bad {error}") from None
        return cls(cues=cues, **patterns)

    def candidates(self, folded: str) -> list[CueRule]:
        """The rules that can match `folded`: most lines name none of the rules' key words, and a set
        lookup per rule costs far less than a search."""
        words = set(_ANY_WORD.findall(folded))
        return [rule for rule in self.cues if rule.key_words is None or not rule.key_words.isdisjoint(words)]


def _key_words(pattern: str) -> set[str] | None:
    r"""Words one of which every match of `pattern` contains, or None when none can be read off it.

    The words come from a required group of plain alternatives that stands between word boundaries,
    as in `\b(is|are) (\w+ ){0,2}?(required|obliged) to\b`; of several such groups, the one with the
    longest words (the rarest), and of each alternative its longest word: {"required", "obliged"}."""
    best: set[str] | None = None
    best_length = 0
    for group in _PLAIN_GROUP.finditer(pattern):
        prefix = pattern[: group.start()]
        depth = len(re.findall(r"(?<!\\)\(", prefix)) - len(re.findall(r"(?<!\\)\)", prefix))
        if depth or not _BOUNDED_BEFORE.search(prefix) or not _BOUNDED_AFTER.match(pattern, group.end()):
            continue
        words = {max(_ANY_WORD.findall(alternative.lower()), key=len) for alternative in group[1].split("|")}
        length = min(len(word) for word in words)
        if length > best_length:
            best, best_length = words, length
    return best


# --- records ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Who demands or who must act: {text, canonical, kb_id}, like a quote's speaker."""

    text: str
    canonical: str | None
    kb_id: str | None = None

    def to_dict(self) -> dict:
        return {"text": self.text, "canonical": self.canonical, "kb_id": self.kb_id}


@dataclass(frozen=True)
class Scored:
    id: str
    name: str
    score: float


@dataclass
class Requirement:
    text: str  # the statement as written: the sentence line or the quote's words
    start: int  # character offsets into the Doc (a quote split by its attribution: both parts)
    end: int
    statement: str  # canonical English, from a template
    requester: Party | None
    addressee: Party | None
    modality: str  # "must", "should" or "may"
    polarity: str  # "positive" or "negative"
    concepts: list[str]
    controls: list[Scored]
    mitigations: list[Scored]
    quote_index: int | None  # into doc._.quotes
    language: str
    confidence: float
    cue: str = field(default="", compare=False)  # the cue kind, for benchmarks and debugging
    # The first requirement in doc._.requirements that this one restates (the same requester demanding
    # the same thing again, as in an indirect statement followed by a direct quote): separate evidence
    # of one demand. None for a first statement.
    same_as: int | None = None

    def to_dict(self, offset: int = 0, quote_id: str | None = None, same_as: str | None = None) -> dict:
        """The record of `brief analyze --json`; `same_as` is the id the caller gave the requirement at
        index `self.same_as`."""
        return {
            "text": self.text,
            "start": self.start + offset,
            "end": self.end + offset,
            "statement": self.statement,
            "requester": self.requester.to_dict() if self.requester else None,
            "addressee": self.addressee.to_dict() if self.addressee else None,
            "modality": self.modality,
            "polarity": self.polarity,
            "concepts": self.concepts,
            "controls": [{"id": c.id, "title": c.name, "score": c.score} for c in self.controls],
            "mitigations": [{"id": m.id, "name": m.name, "score": m.score} for m in self.mitigations],
            "quote_id": quote_id,
            "same_as": same_as,
            "language": self.language,
            "confidence": self.confidence,
        }


# --- the component ----------------------------------------------------------------------------------------


@Language.factory("incident_requirements", default_config={"catalog": None, "learned": True})
def make_requirements(nlp: Language, name: str, catalog: str | None, learned: bool) -> RequirementFinder:
    """`learned`: add the learned detector and control ranking (requirement_models) to the rules."""
    register_extensions()
    lexicon = ConceptLexicon.load()
    controls = ControlCatalog.load()
    controls.check(lexicon)
    products = load_catalog(Path(catalog) if catalog else None).products
    vendors = {p.name: p.vendor for p in products}
    models = LearnedModels.load(list(controls.controls)) if learned else None
    return RequirementFinder(nlp.lang, CueLexicon.load(nlp.lang), lexicon, controls, vendors, models)


@dataclass
class Statement:
    """A sentence line or a quote: `text` lines up with the Doc's text from `start` (quoted words
    blanked) unless `joined` (a quote split by its attribution)."""

    start: int
    end: int
    text: str
    quote_index: int | None = None
    speaker: Party | None = None
    joined: bool = False
    reported_by: str | None = None  # an indirect quote's verb ("fordert, dass ..."): it may be the cue


@dataclass(frozen=True)
class Cue:
    kind: str
    modality: str
    start: int
    end: int


@dataclass(frozen=True)
class Signals:
    """What the rules read off a statement: whether they accept it, and the learned detector's input."""

    cues: tuple[Cue, ...]
    cancelled: bool  # a cue pattern matched only as narration, epistemic or in an embedded question
    question: bool
    ruled_out: bool  # an attacker's demand or a definition
    complaint: bool
    concepts: tuple[ConceptMatch, ...]
    rules_pass: bool  # a cue and nothing ruling it out: the rules accept it if the gate passes

    @property
    def gated(self) -> bool:
        return any(m.concept.gate for m in self.concepts)

    @property
    def accepted(self) -> bool:
        return self.rules_pass and self.gated

    def candidate(self, statement: Statement) -> bool:
        """Worth the learned detector's look (and an embedding, the costly part): a sign of a demand
        (a cue, or a cue cancelled as narration), or a security concept inside a quote. A concept in
        narration alone is not: news names security concepts in most sentences about an incident."""
        return bool(self.cues) or self.cancelled or (self.gated and statement.quote_index is not None)

    def features(self, statement: Statement, language: str) -> np.ndarray:
        gate = sum(m.concept.gate for m in self.concepts)
        return features(
            {c.kind for c in self.cues},
            self.cancelled,
            self.question,
            self.ruled_out,
            self.complaint,
            gate,
            len(self.concepts) - gate,
            statement.quote_index is not None,
            statement.speaker is not None,
            self.rules_pass,
            language,
        )


@dataclass(frozen=True)
class Mention:
    start: int  # character offsets into the Doc
    end: int
    party: Party
    named: bool  # an entity, not an actor noun ("Betreiber")
    organisation: bool = False  # an ORG, or a product standing for its vendor


class RequirementFinder:
    def __init__(
        self,
        language: str,
        cues: CueLexicon,
        lexicon: ConceptLexicon,
        catalog: ControlCatalog,
        vendors: dict[str, str],
        learned: LearnedModels | None = None,
    ) -> None:
        self.language = language
        self.cues = cues
        self.lexicon = lexicon
        self.catalog = catalog
        self.vendors = vendors
        self.learned = learned

    def __call__(self, doc: Doc) -> Doc:
        doc._.requirements = self.find(doc)
        return doc

    def find(self, doc: Doc) -> list[Requirement]:
        # `doc.text` and `doc.ents` build every Token on each access: read them once
        text, ents = doc.text, list(doc.ents)
        mentions = self._mentions(text, ents)
        employers = {
            ent._.canonical or ent.text: ent._.employer
            for ent in ents
            if ent.label_ == "PER" and ent._.employer
        }
        sentences = _sentences(doc, len(text))
        sentence_starts = [start for start, _ in sentences]
        learned = self.learned is not None
        assessed = [
            (statement, self.signals(statement, with_concepts=learned))
            for statement in self._statements(text, doc._.quotes or [], sentences)
        ]
        kept = [(s, g) for s, g in assessed if g.accepted or (learned and g.candidate(s))]
        vectors, accepted = self._detect(kept)
        found: list[Requirement] = []
        for (statement, signals), vector, probability in zip(kept, vectors, accepted, strict=True):
            if probability is not None:
                found.extend(
                    self._requirements(
                        statement, signals, mentions, employers, sentence_starts, vector, probability
                    )
                )
        found.sort(key=lambda r: (r.start, r.end))
        _mark_restatements(found, employers)
        return found

    def _detect(self, kept: list[tuple[Statement, Signals]]) -> tuple[list, list[float | None]]:
        """Each kept statement's vector (None without the learned models) and whether it is a
        requirement: 1.0 when the rules accept it, else the detector's probability, None below its
        threshold."""
        if self.learned is None or not kept:
            return [None] * len(kept), [1.0 if g.accepted else None for _, g in kept]
        vectors = self.learned.embed([s.text for s, _ in kept])
        rows = np.vstack([g.features(s, self.language) for s, g in kept])
        detector = self.learned.detector
        probabilities = detector.probability(rows, vectors)
        accepted = [
            1.0 if g.accepted else (float(p) if p >= detector.threshold else None)
            for (_, g), p in zip(kept, probabilities, strict=True)
        ]
        return list(vectors), accepted

    # statements

    def _statements(self, text: str, quotes: list, sentences: list[tuple[int, int]]) -> list[Statement]:
        statements: list[Statement] = []
        blanked: list[tuple[int, int]] = []
        for index, quote in enumerate(quotes):
            if quote.kind == "partial":  # a few words inside a sentence: the sentence is the statement
                continue
            # An indirect quote attributed to no one: the sentence is the statement, so a demand cut by a
            # misread quote ("asked the contractor to hand over its audit | logs from ...") stays whole.
            if quote.kind == "indirect" and quote.speaker is None:
                continue
            if any(start < quote.end and quote.start < end for start, end in blanked):
                continue  # a quote inside a reported passage already taken
            blanked.append((quote.start, quote.end))
            speaker = (
                Party(quote.speaker.text, quote.speaker.canonical, quote.speaker.kb_id)
                if quote.speaker
                else None
            )
            if quote.text != text[quote.start : quote.end]:
                statements.append(Statement(quote.start, quote.end, quote.text, index, speaker, joined=True))
                continue
            for start, end in _pieces(text, sentences, quote.start, quote.end):
                reported_by = quote.cue if quote.kind == "indirect" else None
                statements.append(Statement(start, end, text[start:end], index, speaker, False, reported_by))
        masked = text
        for q_start, q_end in blanked:  # same length, so offsets stay
            masked = masked[:q_start] + " " * (q_end - q_start) + masked[q_end:]
        for sentence_start, sentence_end in sentences:
            for match in _LINE.finditer(masked, sentence_start, sentence_end):
                start = match.start()
                line = match.group().rstrip(QUOTE_REMAINS)
                if _LETTER.search(line.lstrip()):  # stripped first: scanning blanked quotes is slow
                    statements.append(Statement(start, start + len(line), line))
        return statements

    # detection

    def _cues(self, text: str) -> tuple[list[Cue], bool]:
        """The cues in `text`, and whether a cue pattern matched only as narration, epistemic or inside
        an embedded question (a signal for the learned detector)."""
        lex = self.cues
        folded = _fold(text)
        matches = [(rule, m) for rule in lex.candidates(folded) for m in rule.pattern.finditer(folded)]
        cues = []
        cancelled_any = False
        if matches:
            cancelled = [
                (m.start(), m.end()) for p in (lex.narration, lex.epistemic) for m in p.finditer(text)
            ]
            for rule, m in matches:
                if any(s < m.end() and m.start() < e for s, e in cancelled):
                    cancelled_any = True
                    continue
                clause_start = max(text.rfind(c, 0, m.start()) for c in ",;:") + 1
                if lex.embedded_question.search(text[clause_start : m.start()].strip()):
                    cancelled_any = True
                    continue
                cues.append(Cue(rule.kind, rule.modality, m.start(), m.end()))
        stripped = text.lstrip()
        offset = len(text) - len(stripped)
        imperative = lex.imperative.match(stripped)
        if imperative or (lex.bullet.match(stripped) and lex.bullet_verb.search(stripped)):
            end = imperative.end() if imperative else len(text)
            cues.append(Cue("imperative", "must", offset, offset + (end if imperative else 0)))
        return sorted(cues, key=lambda c: c.start), cancelled_any

    def signals(self, statement: Statement, with_concepts: bool = False) -> Signals:
        """What the rules read off a statement. Concepts are looked up only when a cue could make it a
        requirement, or with `with_concepts` when the learned detector may read them (`candidate`)."""
        text, lex = statement.text, self.cues
        cues, cancelled = self._cues(text)
        cues = cues or self._reporting_cue(statement.reported_by)
        question = text.rstrip().endswith("?") or bool(lex.open_question.match(text.lstrip()))
        ruled_out = bool(lex.attacker.search(text) or lex.definition.search(text))
        complaint = bool(lex.complaint.search(text)) and not any(c.kind == "directive" for c in cues)
        rules_pass = bool(cues) and not (question or ruled_out or complaint)
        looked_at = rules_pass or (with_concepts and (cues or cancelled or statement.quote_index is not None))
        concepts = self.lexicon.find(text, self.language) if looked_at else []
        return Signals(tuple(cues), cancelled, question, ruled_out, complaint, tuple(concepts), rules_pass)

    def _reporting_cue(self, verb: str | None) -> list[Cue]:
        """A directive verb that reports the statement ("fordert, dass ...") makes it a demand; the cue
        stands at the statement's start, which the verb precedes."""
        if verb:
            folded = _fold(verb)
            for rule in self.cues.cues:
                if rule.kind == "directive" and rule.pattern.exact.fullmatch(folded):
                    return [Cue(rule.kind, rule.modality, 0, 0)]
        return []

    def _requirements(
        self,
        statement: Statement,
        signals: Signals,
        mentions: list[Mention],
        employers: dict[str, str],
        sentence_starts: list[int],
        vector: np.ndarray | None = None,
        probability: float = 1.0,
    ) -> list[Requirement]:
        """The requirements a statement states, found by the rules (`probability` 1.0) or by the learned
        detector; `vector`: its embedding, for the learned control ranking."""
        text = statement.text
        concepts = list(signals.concepts)
        # The detector may accept a statement without a cue: it is then stated as advice ("should").
        cues = list(signals.cues) or [Cue("learned", "should", 0, 0)]
        cue = min(cues, key=lambda c: (CUE_PRIORITY.index(c.kind), c.start))
        modality, polarity = self._modality(text, cue)
        inside = [m for m in mentions if statement.start <= m.start and m.end <= statement.end]
        if not statement.joined:  # not in a blanked quote
            inside = [m for m in inside if text[m.start - statement.start : m.end - statement.start].strip()]
        requester = self._requester(statement, cue, inside)
        addressee, looked_back = self._addressee(
            statement, cue, inside, mentions, _names(requester, employers), sentence_starts
        )
        confidence = (
            (CONFIDENCE[cue.kind] if probability >= 1.0 else min(probability, CONFIDENCE[cue.kind]))
            * (0.9 if looked_back else 1.0)
            * (0.95 if statement.joined else 1.0)
        )
        groups = self._items(text, cue, self._by_role(text, cue, concepts))
        controls = [self._controls(group, vector) for group in groups]
        return [
            Requirement(
                text=text.strip() if not statement.joined else text,
                start=statement.start + (len(text) - len(text.lstrip()) if not statement.joined else 0),
                end=statement.end - (len(text) - len(text.rstrip()) if not statement.joined else 0),
                statement=_statement(group, addressee, requester, modality, polarity, ranked),
                requester=requester,
                addressee=addressee,
                modality=modality,
                polarity=polarity,
                concepts=[m.concept.id for m in group],
                controls=ranked,
                mitigations=self._mitigations(group),
                quote_index=statement.quote_index,
                language=self.language,
                confidence=round(confidence, 2),
                cue=cue.kind,
            )
            for group, ranked in zip(groups, controls, strict=True)
        ]

    def _modality(self, text: str, cue: Cue) -> tuple[str, str]:
        clause_end = min([i for i in (text.find(c, cue.end) for c in ",;.") if i >= 0] or [len(text)])
        window = text[max(0, cue.start - 12) : min(clause_end, cue.end + CLAUSE_WINDOW)]
        # "must-not": a cue that forbids by itself ("bans", "untersagt", "warnt davor")
        modality, _, forbidding = cue.modality.partition("-")
        negative = forbidding == "not" or bool(self.cues.negation.search(window))
        if modality == "may" and negative:  # "dürfen nicht", "may not": a prohibition
            modality = "must"
        return modality, "negative" if negative else "positive"

    def _by_role(self, text: str, cue: Cue, concepts: list[ConceptMatch]) -> list[ConceptMatch]:
        """The concepts weighted by their place relative to the cue, most central first. Without a parser
        (the German pipeline has none) the place stands in for the syntactic role: the demanded action
        is the head (the first concept after the cue; in German also the clause-final verb, as in
        "... zu protokollieren"), then the rest of the complement, then the subject before the cue;
        a concept named by a party ("the contractor", "Zulieferer") or inside a context phrase
        ("after the phishing attack", "für ihr Kundenkonto") is background, not what is demanded."""
        if len(concepts) < 2:  # nothing to rank: the one concept is what is demanded
            return concepts
        lex = self.cues
        contexts = [
            (m.start(), _phrase_end(text, m.end(), cue))
            for m in lex.context.finditer(text)
            if not (cue.start <= m.start() < cue.end)
        ]
        parties = [(m.start(), m.end()) for m in lex.actor_nouns.finditer(text)]
        # A concept that ends in a party noun ("its managed service provider") names who acts, not the demand.
        background = {
            id(m): "context" if any(s <= m.start < e for s, e in contexts) else "party"
            for m in concepts
            if any(s <= m.start < e for s, e in contexts) or any(s < m.end <= e for s, e in parties)
        }
        demanded = [m for m in concepts if id(m) not in background and m.start >= cue.start]
        final = [  # German puts the demanded verb last: "zu trennen", "protokolliert werden"
            m
            for m in demanded
            if self.language == "de" and _words(text[m.end : _clause_end(text, m.end)]) <= 2
        ]
        heads = [max(final, key=lambda m: m.end)] if final else demanded[:1]
        roles: list[tuple[float, ConceptMatch]] = []
        for match in concepts:
            if id(match) in background:
                role = background[id(match)]
            elif match.start < cue.start:
                role = "subject"
            else:
                role = "head" if match in heads else "complement"
            roles.append((ROLE_WEIGHT[role], match))
        ranked = sorted(roles, key=lambda item: (-item[0], item[1].start))
        return [replace(match, role=weight) for weight, match in ranked]

    def _items(self, text: str, cue: Cue, concepts: list[ConceptMatch]) -> list[list[ConceptMatch]]:
        """One group of concepts per requirement: the items of an enumeration after the cue when they
        name different concepts ("darunter X und Y"), else one group."""
        gated = [m for m in concepts if m.concept.gate] + [m for m in concepts if not m.concept.gate]
        whole = [gated[:MAX_CONCEPTS]]
        marker = self.cues.enumeration.search(text, cue.end)
        if marker is None:
            return whole
        bounds = [marker.end()] + [m.end() for m in self.cues.coordination.finditer(text, marker.end())]
        bounds.append(len(text))
        groups = []
        for start, end in zip(bounds, bounds[1:], strict=False):
            group = [m for m in concepts if start <= m.start < end and m.concept.gate]
            if group:
                groups.append(group[:MAX_CONCEPTS])
        distinct = {tuple(m.concept.id for m in g) for g in groups}
        return groups if len(groups) >= 2 and len(distinct) == len(groups) else whole

    # parties

    def _mentions(self, text: str, ents: list) -> list[Mention]:
        mentions = []
        for ent in ents:
            canonical = ent._.canonical or ent.text
            if ent.label_ in PARTY_LABELS:
                party = Party(ent.text, canonical, ent._.kb_id)
                mentions.append(Mention(ent.start_char, ent.end_char, party, True, ent.label_ == "ORG"))
            elif ent.label_ == "PRODUCT" and canonical in self.vendors:  # "in Microsoft 365": the vendor
                party = Party(ent.text, self.vendors[canonical], None)
                mentions.append(Mention(ent.start_char, ent.end_char, party, True, True))
        taken = [(m.start, m.end) for m in mentions]
        for m in self.cues.actor_nouns.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                mentions.append(Mention(m.start(), m.end(), Party(m.group(), None, None), False))
        return sorted(mentions, key=lambda m: m.start)

    def _requester(self, statement: Statement, cue: Cue, inside: list[Mention]) -> Party | None:
        if statement.speaker is not None:
            return statement.speaker
        if cue.kind not in ("directive", "nominal", "importance", "standard", "volitional"):
            return None  # a modal or imperative in narration states a duty, not who demands it
        cue_at = statement.start + cue.start
        before = [m for m in inside if m.end <= cue_at]
        for m in reversed(before):  # "von Amazon geforderte", "required by the regulator"
            prefix = statement.text[: m.start - statement.start]
            if self.cues.requester_by.search(prefix) and m.end >= cue_at - 2:
                return m.party
        candidates = [m for m in before if m.named] or before  # the subject comes first
        return candidates[0].party if candidates else None

    def _addressee(
        self,
        statement: Statement,
        cue: Cue,
        inside: list[Mention],
        mentions: list[Mention],
        requester_names: set[str | None],
        sentence_starts: list[int],
    ) -> tuple[Party | None, bool]:
        cue_at = statement.start + cue.start
        others = [m for m in inside if not _same(m.party, requester_names)]
        if cue.kind == "directive":  # the object: "urged agencies to", "verlangt von der Klinik"
            after = [m for m in others if m.start >= statement.start + cue.end]
            marked = [
                m
                for m in others
                if self.cues.addressee_by.search(statement.text[: m.start - statement.start])
            ]
            found = after or marked
            return (found[0].party if found else None), False
        if cue.kind == "modal":
            clause_start = statement.start + max(statement.text.rfind(c, 0, cue.start) for c in ",;:") + 1
            subject = [m for m in others if clause_start <= m.start and m.end <= cue_at]
            if subject:
                return subject[-1].party, False
            return None, False  # "Passwörter dürfen nicht ...": the duty is stated without a subject
        if cue.kind == "imperative":
            return None, False
        named = [m for m in others if m.named]
        if named:
            return named[0].party, False
        if others:
            return others[0].party, False
        # Not named here: the most recent other organisation in the sentences before.
        sentence = max(0, _index_at(sentence_starts, statement.start))
        window_start = sentence_starts[max(0, sentence - LOOKBACK_SENTENCES)] if sentence_starts else 0
        for m in reversed(mentions):
            before = window_start <= m.start < statement.start
            if before and m.named and not _same(m.party, requester_names) and m.organisation:
                return m.party, True
        return None, False

    # controls

    def _controls(self, group: list[ConceptMatch], vector: np.ndarray | None = None) -> list[Scored]:
        scores = self.lexicon_scores(group)
        if vector is not None and self.learned is not None and vector.any():
            scores = self.learned.rank(scores, vector)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:MAX_CONTROLS]
        return [Scored(c, self.catalog.controls[c].title, round(min(s, 1.0), 3)) for c, s in ranked]

    def lexicon_scores(self, group: list[ConceptMatch]) -> dict[str, float]:
        """The controls of the group's concepts, weighted by role and rank, with BM25 over the concept
        labels breaking ties and filling a short list."""
        scores: dict[str, float] = {}
        if not group:
            return scores
        for j, match in enumerate(group):
            weight = match.concept.weight * match.role * (1 - CONCEPT_STEP * j)
            for rank, control in enumerate(match.concept.controls):
                scores[control] = max(scores.get(control, 0.0), weight * (1 - RANK_STEP * rank))
        query = " ".join(f"{m.concept.label} {m.concept.statement}" for m in group)
        for control, score in self.catalog.bm25(query):
            if control in scores:
                scores[control] += BM25_TIE_BREAK * score
            elif len(scores) < MIN_CONTROLS or score >= 0.8:
                scores[control] = BM25_FILL * score
        return scores

    def _mitigations(self, group: list[ConceptMatch]) -> list[Scored]:
        scores: dict[str, float] = {}
        for j, match in enumerate(group):
            weight = match.concept.weight * match.role * (1 - CONCEPT_STEP * j)
            for rank, mitigation in enumerate(match.concept.mitigations):
                scores[mitigation] = max(scores.get(mitigation, 0.0), weight * (1 - 0.1 * rank))
        ranked = sorted(scores.items(), key=lambda item: -item[1])[:MAX_MITIGATIONS]
        return [Scored(m, self.catalog.mitigations[m], round(s, 3)) for m, s in ranked]


# --- helpers ----------------------------------------------------------------------------------------------


def _sentences(doc: Doc, length: int) -> list[tuple[int, int]]:
    """Sentence character ranges from the arrays: iterating `doc.sents` builds every Token (~15 ms)."""
    if not len(doc):
        return []
    idx = doc.to_array("IDX")
    starts = [0] + [int(idx[i]) for i in (doc.to_array("SENT_START") == 1).nonzero()[0] if i > 0]
    return list(zip(starts, [*starts[1:], length], strict=True))


def _pieces(text: str, sentences: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """A quote cut at the sentence ends inside it: each sentence of a long quote is a statement."""
    cuts = [s for s, _ in sentences if start < s < end]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]


def _phrase_end(text: str, start: int, cue: Cue) -> int:
    """Where a context phrase opened at `start` ends: at the next comma, the cue, or a few words on."""
    ends = [i for i in (text.find(c, start) for c in ",;:.") if i >= 0]
    if cue.start >= start:
        ends.append(cue.start)
    words = _ANY_WORD.finditer(text, start)
    for count, word in enumerate(words, 1):
        if count == CONTEXT_WORDS:
            ends.append(word.end())
            break
    return min(ends or [len(text)])


def _clause_end(text: str, start: int) -> int:
    return min([i for i in (text.find(c, start) for c in ",;.") if i >= 0] or [len(text)])


def _words(text: str) -> int:
    return len(_ANY_WORD.findall(text))


def _index_at(starts: list[int], char: int) -> int:
    return bisect_right(starts, char) - 1


def _mark_restatements(found: list[Requirement], employers: dict[str, str]) -> None:
    """Point each requirement that restates an earlier one at the first of them: the same requester (or
    a person and the organisation they speak for), the same polarity and the same main concept, from a
    different statement (the items of one enumeration are different demands)."""
    for index, requirement in enumerate(found):
        if requirement.requester is None:
            continue
        names = _names(requirement.requester, employers) - {None}
        for earlier in found[:index]:
            if earlier.start == requirement.start or earlier.requester is None:
                continue
            same_requester = bool(names & (_names(earlier.requester, employers) - {None}))
            same_demand = (
                earlier.concepts[:1] == requirement.concepts[:1] and earlier.polarity == requirement.polarity
            )
            if same_requester and same_demand:
                requirement.same_as = earlier.same_as if earlier.same_as is not None else found.index(earlier)
                break


def _names(requester: Party | None, employers: dict[str, str]) -> set[str | None]:
    """The requester's names and the organisation a requesting person speaks for (incident_roles). An
    actor noun's canonical is None, so one actor noun as requester rules out the others as addressee."""
    if requester is None:
        return set()
    names = {requester.canonical, requester.text}
    if requester.canonical in employers:
        names.add(employers[requester.canonical])
    return names


def _same(party: Party, names: set[str | None]) -> bool:
    """Whether `party` is the requester or the organisation the requester speaks for."""
    return party.canonical in names or party.text in names


def _statement(
    group: list[ConceptMatch],
    addressee: Party | None,
    requester: Party | None,
    modality: str,
    polarity: str,
    controls: list[Scored],
) -> str:
    who = (addressee.canonical or addressee.text) if addressee else "The organisation"
    gated = [m for m in group if m.concept.gate]
    if not gated:  # found by the learned detector without a concept: the best control names the demand
        action = f"meet NIST control {controls[0].id} ({controls[0].name})" if controls else "act"
        sentence = f"{who} {modality} {'not ' if polarity == 'negative' else ''}{action}"
    elif polarity == "negative":
        sentence = f"{who} {modality} not {' or '.join(m.concept.prohibition for m in gated)}"
    else:
        sentence = f"{who} {modality} {' and '.join(m.concept.statement for m in gated)}"
    if requester is not None:
        sentence += f" (required by {requester.canonical or requester.text})"
    return sentence[0].upper() + sentence[1:] + "."
