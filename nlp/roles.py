"""`incident_roles`: a person's role and employer, from the titles written around the name.

Titles come from a de/en/fr lexicon (`data/roles.json`, whole-token and case-insensitive, longest match
first; German compounds such as "Nordwind-Sprecherin" or "Unternehmenssprecherin" are split into an
organisation prefix and a head word). Four constructions give a role to a PER span:

- a title before the name: "Vorstandschef Henrik Larsen", "Amazon CISO CJ Moses", "Amazons Sicherheitschef
  CJ Moses", "Arcturus's chief security officer Linda Okafor", "Baden-Württemberg's interior minister, Karin
  Hoffmann", "die Sicherheitschefin des Konzerns, Dr. Sabine Krüger", "Unter CEO Satya Nadella hat Microsoft";
- an apposition after it: "CJ Moses, Chief Information Security Officer von Amazon", "Linda Okafor, Arcturus'
  chief security officer", "Rachel Lindqvist, a principal threat analyst at Quartz Threat Labs";
- a copula: "Moses ist CISO bei Amazon", "Moses, who is chief information security officer at Amazon";
- with a dependency parse (English), also a copula far from the name: "Moses, who joined in 2009, is CISO".

A title marked as past ("ehemaliger Amazon-Manager", "former CEO") gives nothing: only current roles
are recorded. The employer is the canonical name of the ORG (or, for office holders, LOC) the title
names. What one mention says applies to every mention of the same canonical person; a finding with an
employer wins over one without, then the earlier one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from incident_brief.nlp.extensions import register_extensions

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "roles.json"
POSSESSIVES = {"'s", "’s", "'", "’"}
DETERMINERS = {
    "the", "a", "an", "der", "die", "das", "des", "dem", "den",
    "ein", "eine", "einer", "eines", "einem", "einen", "le", "la", "les", "l'", "l’", "un", "une",
}  # fmt: skip
COORDINATORS = {"and", "or", "und", "oder", "sowie", "et", "ou"}
COPULAS = {"is", "ist", "est", "remains", "bleibt", "reste"}
RELATIVE_PRONOUNS = {"who", "which", "der", "die", "qui"}
UNDER = {"under", "unter", "sous"}  # "Unter CEO Satya Nadella hat Microsoft ..."
EMPLOYER_LABELS = {"ORG", "LOC"}
MAX_LEAD_TOKENS = 5  # words between an apposition's comma and its title ("a principal threat analyst")
# Words between "at"/"von" and the employer: "beim Kölner Sicherheitsdienstleister Certeo".
MAX_GAP_TOKENS = 5
MIN_COMPOUND_STEM = 4  # "Abteilungsleiter" is a title, "Begleiter" is not


GIVEN_NAMES_PATH = Path(__file__).resolve().parent / "data" / "given_names.json"
FEMALE, MALE, EITHER = "female", "male", "either"


@dataclass(frozen=True)
class GivenNames:
    """First names with their usual sex (US 1990 census lists and a French supplement, see the file's
    `source`s): evidence that a name is a person's ("Ana Costa" tagged ORG) and which of he/she can refer
    to them."""

    genders: dict[str, str]  # title-case name -> FEMALE, MALE or EITHER

    @classmethod
    def load(cls, path: Path = GIVEN_NAMES_PATH) -> GivenNames:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            genders = {name: gender for gender in (FEMALE, MALE, EITHER) for name in data[gender]}
            supplement = data.get("supplement", {})
            for gender in (FEMALE, MALE, EITHER):
                for name in supplement.get(gender, ()):
                    known = genders.get(name)
                    genders[name] = gender if known in (None, gender) else EITHER  # Jean: female in the US
            return cls(genders)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"given-name list {path} is unreadable: {type(exc).__name__}: {exc}") from None

    def gender(self, word: str) -> str | None:
        """The sex a first name usually goes with; None when the word is no listed first name."""
        return self.genders.get(word[:1].upper() + word[1:].lower()) if word[:1].isupper() else None


@dataclass(frozen=True)
class RoleLexicon:
    roles: dict[str, str]  # lower-cased surface form -> normalised role
    compound_heads: dict[str, str]  # head word of a German compound -> role
    former_markers: frozenset[str]
    employer_prepositions: frozenset[str]
    honorifics: frozenset[str]  # lower-cased: "dr.", "prof.", "mme"

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> RoleLexicon:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            roles = {form.lower(): role for role, forms in data["roles"].items() for form in forms}
            return cls(
                roles=roles,
                compound_heads={head.lower(): role for head, role in data["compound_heads"].items()},
                former_markers=frozenset(m.lower() for m in data["former_markers"]),
                employer_prepositions=frozenset(p.lower() for p in data["employer_prepositions"]),
                honorifics=frozenset(h.lower() for h in data["honorifics"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"role lexicon {path} is unreadable: {type(exc).__name__}: {exc}") from None

    def word_role(self, word: str) -> tuple[str, str | None] | None:
        """(role, organisation prefix) of one token: "Sprecher", "Nordwind-Sprecherin", "Konzernsprecher"."""
        lower = word.lower()
        if lower in self.roles:
            return self.roles[lower], None
        prefix, dash, head = word.rpartition("-")
        if dash and prefix and head:
            found = self.word_role(head)
            if found is not None and found[1] is None and prefix.lower() not in self.former_markers:
                return found[0], prefix
            return None
        for head_word, role in self.compound_heads.items():
            if lower.endswith(head_word) and len(lower) - len(head_word) >= MIN_COMPOUND_STEM:
                return role, None
        return None


@dataclass(frozen=True)
class Title:
    start: int  # token offsets in the Doc
    end: int
    role: str
    prefix: str | None  # organisation written into the same token: "Nordwind" in "Nordwind-Sprecherin"
    former: bool


class TitleFinder:
    """Job titles in a Doc: lexicon phrases (longest first) and single-token German compounds."""

    def __init__(self, nlp: Language, lexicon: RoleLexicon) -> None:
        self.lexicon = lexicon
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for form, role in lexicon.roles.items():
            phrase = nlp.make_doc(form)
            if len(phrase) > 1:  # one-token forms go through `word_role`, which also splits compounds
                self.matcher.add(role, [phrase])

    def __call__(self, doc: Doc) -> list[Title]:
        found: dict[tuple[int, int], tuple[str, str | None]] = {}
        for match_id, start, end in self.matcher(doc):
            found[(start, end)] = (doc.vocab.strings[match_id], None)
        for token in doc:
            if token.is_alpha or "-" in token.text:
                word = self.lexicon.word_role(token.text)
                if word is not None:
                    found[(token.i, token.i + 1)] = word
        titles = []
        for span in filter_spans([doc[start:end] for start, end in found]):
            role, prefix = found[(span.start, span.end)]
            titles.append(Title(span.start, span.end, role, prefix, self._is_former(span)))
        return titles

    def _is_former(self, span: Span) -> bool:
        first = span[0].lower_
        if first.startswith(("ex-", "former-")):
            return True
        before = [t for t in span.doc[max(0, span.start - 3) : span.start] if t.lower_ not in DETERMINERS]
        return any(t.lower_ in self.lexicon.former_markers for t in before[-2:])


@Language.factory("incident_roles", default_config={})
def make_roles(nlp: Language, name: str) -> PersonRoles:
    register_extensions()
    return PersonRoles(TitleFinder(nlp, RoleLexicon.load()))


@dataclass(frozen=True)
class Finding:
    role: str
    employer: str | None


class PersonRoles:
    def __init__(self, titles: TitleFinder) -> None:
        self.titles = titles
        self.lexicon = titles.lexicon

    def __call__(self, doc: Doc) -> Doc:
        titles = self.titles(doc)
        _drop_entities_inside_titles(doc, titles)
        people = [e for e in doc.ents if e.label_ == "PER"]
        if not people:
            return doc
        context = _Context(doc, titles, self.lexicon)
        best: dict[str, Finding] = {}
        for person in people:
            finding = context.finding(person)
            if finding is None:
                continue
            key = _person_key(person)
            known = best.get(key)
            if known is None or (known.employer is None and finding.employer is not None):
                best[key] = finding
        for person in people:
            finding = best.get(_person_key(person))
            if finding is not None:
                person._.role = finding.role
                person._.employer = finding.employer
        return doc


def _drop_entities_inside_titles(doc: Doc, titles: list[Title]) -> None:
    """A model sometimes tags a title or part of one as a name ("CISO", "Chief Information" in "Chief
    Information Security Officer"): an NER entity lying within a title is not an entity. (A title inside
    a longer entity, "Versa Director", is the opposite case: there the name wins.)"""
    inside = [
        ent
        for ent in doc.ents
        if ent._.entity_source == "ner" and any(t.start <= ent.start and ent.end <= t.end for t in titles)
    ]
    if inside:
        doc.ents = [ent for ent in doc.ents if ent not in inside]


def _person_key(span: Span) -> str:
    return span._.canonical or span.text


class _Context:
    """One Doc's titles, entities and organisation names, and the constructions read from them."""

    def __init__(self, doc: Doc, titles: list[Title], lexicon: RoleLexicon) -> None:
        self.doc = doc
        self.lexicon = lexicon
        self.parsed = doc.has_annotation("DEP")
        self.ent_at: dict[int, Span] = {}
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                self.ent_at[i] = ent
        # Titles inside another entity ("Versa Director") are names, except a compound naming its org.
        self.titles = [t for t in titles if t.prefix is not None or not self._in_entity(t.start, t.end)]
        self.title_ending_at = {t.end: t for t in self.titles}
        self.title_starting_at = {t.start: t for t in self.titles}
        self.org_names: dict[str, str] = {}  # a name as written ("Amazons", "RNK-IT") -> canonical
        for ent in doc.ents:
            if ent.label_ in EMPLOYER_LABELS:
                self.org_names.setdefault(ent.text, _employer_name(ent))
        first_words: dict[str, set[str]] = {}  # "Arcturus" for "Arcturus Networks", where unambiguous
        for canonical in set(self.org_names.values()):
            if " " in canonical:
                first_words.setdefault(canonical.split()[0], set()).add(canonical)
        for word, canonicals in first_words.items():
            if len(canonicals) == 1:
                self.org_names.setdefault(word, canonicals.pop())
        for written, canonical in list(self.org_names.items()):
            self.org_names.setdefault(written + "s", canonical)  # German genitive: "Amazons Sicherheitschef"

    def finding(self, person: Span) -> Finding | None:
        for rule in (self._before, self._apposition, self._copula, self._copula_parse):
            found = rule(person)
            if found is not None:
                return Finding(*found)
        return None

    # --- constructions ---

    def _before(self, person: Span) -> tuple[str, str | None] | None:
        """A title right before the name, an optional comma and honorifics between them."""
        i = person.start
        while i > 0 and self.doc[i - 1].lower_ in self.lexicon.honorifics:
            i -= 1
        comma = i > 0 and self.doc[i - 1].text == ","
        if comma:
            i -= 1
        title = self.title_ending_at.get(i)
        if title is None and comma:  # "die Sicherheitschefin des Konzerns, Dr. Sabine Krüger"
            title = self._title_with_complement_ending_at(i)
            if title is None or title.former:
                return None
            return title.role, self._prefix_employer(title) or self._employer_after(title)
        if title is None or title.former:
            return None
        employer = self._prefix_employer(title) or self._employer_before(title.start)
        if employer is None and title.start > 0 and self.doc[title.start - 1].lower_ in UNDER:
            employer = self._employer_following(person.end)
        return title.role, employer

    def _apposition(self, person: Span) -> tuple[str, str | None] | None:
        """ ", <lead> TITLE <at ORG>" after the name; a past title is passed over for the next one."""
        if person.end >= len(self.doc) or self.doc[person.end].text != ",":
            return None
        return self._title_in_phrase(person.end + 1)

    def _copula(self, person: Span) -> tuple[str, str | None] | None:
        """ "Moses ist CISO bei Amazon", "Moses, who is CISO at Amazon"."""
        i = person.end
        if i < len(self.doc) and self.doc[i].text == ",":
            i += 1
            if i >= len(self.doc) or self.doc[i].lower_ not in RELATIVE_PRONOUNS:
                return None
            i += 1
        if i >= len(self.doc) or self.doc[i].lower_ not in COPULAS:
            return None
        return self._title_in_phrase(i + 1)

    def _copula_parse(self, person: Span) -> tuple[str, str | None] | None:
        """With a parser: the name is the subject of "be" whose complement holds a title."""
        if not self.parsed:
            return None
        root = person.root
        if root.dep_ != "nsubj" or root.head.lemma_ != "be":
            return None
        for child in root.head.children:
            if child.dep_ not in ("attr", "acomp"):
                continue
            for i in range(child.left_edge.i, child.right_edge.i + 1):
                title = self.title_starting_at.get(i)
                if title is not None and title.end <= child.right_edge.i + 1 and not title.former:
                    return title.role, self._prefix_employer(title) or self._employer_after(title)
        return None

    # --- pieces ---

    def _title_in_phrase(self, start: int) -> tuple[str, str | None] | None:
        """The first current title of a noun phrase starting at `start`, with its employer."""
        i = start
        lead_start = start
        while i < len(self.doc) and i - lead_start <= MAX_LEAD_TOKENS:
            title = self.title_starting_at.get(i)
            if title is not None:
                if not title.former:
                    employer = (
                        self._prefix_employer(title)
                        or self._employer_after(title)
                        or self._employer_in(lead_start, title.start)
                    )
                    return title.role, employer
                i = title.end
                while i < len(self.doc) and not self._is_stop(self.doc[i]):
                    i += 1  # the past title's complement: "ehemaliger Manager bei Amazon"
                if i < len(self.doc) and self.doc[i].lower_ in COORDINATORS:
                    i += 1
                    lead_start = i
                    continue
                return None
            token = self.doc[i]
            if self._is_stop(token) or (self.ent_at.get(i) is not None and self.ent_at[i].label_ == "PER"):
                return None
            i += 1
        return None

    def _title_with_complement_ending_at(self, end: int) -> Title | None:
        """A title followed by its genitive complement that ends at `end` (the comma before the name)."""
        for title_end in range(end - 1, max(0, end - MAX_GAP_TOKENS - 2), -1):
            title = self.title_ending_at.get(title_end)
            if title is not None:
                if self.doc[title_end].lower_ not in self.lexicon.employer_prepositions:
                    return None
                return None if any(self._is_stop(t) for t in self.doc[title_end:end]) else title
        return None

    def _prefix_employer(self, title: Title) -> str | None:
        """The org written into the title ("Nordwind-Sprecherin"): a name the Doc knows, or an acronym."""
        if title.prefix is None:
            return None
        if title.prefix in self.org_names:
            return self.org_names[title.prefix]
        if sum(c.isupper() for c in title.prefix) >= 2 and title.prefix[0].isupper():
            return title.prefix  # "BSI-Präsidentin", "RNK-IT-Geschäftsführer"
        return None

    def _employer_before(self, end: int) -> str | None:
        """An org right before a title, possessive allowed: "Amazon CISO", "Arcturus's", "Amazons"."""
        i = end
        while i > 0 and self.doc[i - 1].text in POSSESSIVES:
            i -= 1
        if i == 0:
            return None
        ent = self.ent_at.get(i - 1)
        if ent is not None:
            return _employer_name(ent) if ent.label_ in EMPLOYER_LABELS and ent.end == i else None
        return self.org_names.get(self.doc[i - 1].text)

    def _employer_in(self, start: int, end: int) -> str | None:
        """An org in an apposition's lead: "a Microsoft researcher", "Arcturus' chief security officer";
        a place or an untagged known org only with a possessive or right before the title."""
        for i in range(start, end):
            ent = self.ent_at.get(i)
            j = ent.end if ent is not None else i + 1
            marked = j == end or (j < len(self.doc) and self.doc[j].text in POSSESSIVES)
            if ent is not None and ent.start == i and ent.end <= end:
                if ent.label_ == "ORG" or (ent.label_ == "LOC" and marked):
                    return _employer_name(ent)
            elif ent is None and marked and self.doc[i].text in self.org_names:
                return self.org_names[self.doc[i].text]
        return None

    def _employer_after(self, title: Title) -> str | None:
        """ "TITLE at/von/du [det] [few words] ORG"; else a LOC right after the preposition."""
        i = title.end
        if i < len(self.doc) and self.doc[i].text == "(":  # "Chief Information Security Officer (CISO) der"
            close = next(
                (j for j in range(i + 1, min(i + 5, len(self.doc))) if self.doc[j].text == ")"), i - 1
            )
            i = close + 1
        if i >= len(self.doc) or self.doc[i].lower_ not in self.lexicon.employer_prepositions:
            return None
        i += 1
        place = None
        for j in range(i, min(i + MAX_GAP_TOKENS + 1, len(self.doc))):
            token = self.doc[j]
            if self._is_stop(token):
                break
            ent = self.ent_at.get(j)
            if ent is not None and ent.start == j:
                if ent.label_ == "ORG":
                    return _employer_name(ent)
                if ent.label_ == "PER":
                    break
                if ent.label_ == "LOC" and j == i + sum(t.lower_ in DETERMINERS for t in self.doc[i:j]):
                    place = _employer_name(ent)  # "Innenministerin von Baden-Württemberg"
        return place

    def _employer_following(self, start: int) -> str | None:
        """ "Unter CEO Satya Nadella hat Microsoft": an org after an optional comma and one word."""
        for j in range(start, min(start + 3, len(self.doc))):
            ent = self.ent_at.get(j)
            if ent is not None:
                return _employer_name(ent) if ent.label_ == "ORG" and ent.start == j else None
            if self.doc[j].is_sent_start and j != start:
                return None
        return None

    def _is_stop(self, token: Token) -> bool:
        """Tokens ending a noun phrase: punctuation but hyphens and apostrophes, "and", a new sentence."""
        if token.is_sent_start and token.i > 0:
            return True
        if token.lower_ in COORDINATORS or token.lower_ in ("who", "which", "qui", "que", "dont"):
            return True
        return token.is_punct and token.text not in ("-", "'", "’")

    def _in_entity(self, start: int, end: int) -> bool:
        return any(i in self.ent_at for i in range(start, end))


def _employer_name(ent: Span) -> str:
    return ent._.canonical or ent.text
