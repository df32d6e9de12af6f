"""`incident_canonicalizer`: one canonical name per person, organisation and place within a document.

Names (`span._.canonical`) of PER, ORG, LOC and MISC mentions; a canonical set earlier (the actor linker's
catalog names, a gazetteer's) is never overwritten, and other labels (PRODUCT, THREAT_ACTOR, ...) are left
alone, so "Microsoft 365" never becomes "Microsoft".

- Names leave out honorifics, which are also trimmed off PER spans ("Dr. Martin Albrecht" -> "Martin
  Albrecht"), and organisations' legal forms ("Nordwind Energie AG" -> "Nordwind Energie").
- A person's surname alone links to the full name with that surname ("Moses" -> "CJ Moses"); with two
  people of one surname, to the nearest full mention before it (else after it).
- German genitives and English possessives: "Amazons", "Bells" -> "Amazon", "Bell" when the bare form also
  occurs in the document (so "Moses" and "Arcturus" stay as they are).
- An acronym defined in parentheses after a name, "Rhein-Neckar Kommunal-IT GmbH (RNK-IT)", links to that
  full name; so does a short form of an organisation whose full name adds a company word ("Nordwind" ->
  "Nordwind Energie", "Arcturus" -> "Arcturus Networks"; not "Microsoft" -> "Microsoft Security").

It also repairs NER errors that the whole document makes visible (new spans get entity_source "pattern"):
- a job title inside a PER or ORG span is cut out: "Amazon CISO CJ Moses" (one ORG) -> ORG "Amazon" and
  PER "CJ Moses"; a name of two or more capitalised words right after a title is a person ("security chief
  CJ Moses" tagged ORG);
- a one-word mention tagged ORG, LOC or MISC, or left untagged, that is the surname of a person named in
  full in the document becomes PER ("Moses erklärte" with Moses as LOC); untagged ones only when
  capitalised and not after an article ("der Vogel" stays a bird);
- a one-word PER mention that names an organisation of the document (not also a surname) becomes ORG
  ("Nordwind spokesperson Jana Petersen" with Nordwind as PER);
- every occurrence of a defined acronym becomes a mention with the label of the name it abbreviates.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.nlp.extensions import register_extensions
from incident_brief.nlp.roles import DETERMINERS, POSSESSIVES, RoleLexicon, TitleFinder

NAME_LABELS = {"PER", "ORG", "LOC", "MISC"}
LEGAL_FORMS = {
    "ag", "gmbh", "se", "kg", "kgaa", "ug", "ev", "e.v.", "&", "co", "co.", "inc", "inc.", "corp", "corp.",
    "corporation", "ltd", "ltd.", "llc", "plc", "sa", "s.a.", "sas", "sarl", "nv", "bv", "ab", "oy", "spa",
}  # fmt: skip
# Last words that make "X <word>" the full name of the organisation "X". Not "Security", "Services",
# "Cloud": "Microsoft Security" and "Amazon Web Services" are parts of a company, not its name.
ORG_DESIGNATORS = {
    "networks", "network", "energie", "energy", "labs", "lab", "group", "gruppe", "systems", "technologies",
    "technology", "software", "solutions", "holding", "holdings", "bank", "telekom", "telecom",
    "communications", "consulting", "partners", "insurance", "versicherung", "versicherungen", "werke",
    "logistik", "logistics", "pharma", "motors", "airlines", "industries", "international",
}  # fmt: skip
ACRONYM = re.compile(r"^[A-ZÄÖÜ][A-Za-zÄÖÜäöü0-9&.\-]{1,11}$")
_TRAILING_PARENTHESES = re.compile(r"\s*\([^()]*\)$")
MAX_ACRONYM_TOKENS = 5  # "RNK - IT" is three English tokens
APPOSITION_ARTICLES = {"a", "an", "the", "der", "die", "das", "ein", "eine", "le", "la", "un", "une"}
MAX_NAME_TOKENS = 4  # the name part after a title inside a span: "Dr. Sabine Krüger"


@Language.factory("incident_canonicalizer", default_config={})
def make_canonicalizer(nlp: Language, name: str) -> Canonicalizer:
    register_extensions()
    return Canonicalizer(TitleFinder(nlp, RoleLexicon.load()))


class Canonicalizer:
    def __init__(self, titles: TitleFinder) -> None:
        self.titles = titles
        self.honorifics = titles.lexicon.honorifics

    def __call__(self, doc: Doc) -> Doc:
        ents = self._split_titles(doc, list(doc.ents))
        ents = [self._trim_honorifics(e) if e.label_ == "PER" else e for e in ents]
        ents = [e for e in ents if e is not None]
        names = _DocNames(doc, ents)
        ents = [names.relabel(e) for e in ents]
        ents += names.untagged_mentions(ents)
        doc.ents = sorted(ents, key=lambda e: e.start)
        names = _DocNames(doc, list(doc.ents))  # again: the relabelled mentions are evidence too
        for ent in doc.ents:
            if ent.label_ in NAME_LABELS and ent._.canonical is None:
                ent._.canonical = names.canonical(ent)
        return doc

    def _split_titles(self, doc: Doc, ents: list[Span]) -> list[Span]:
        """Titles tell people: "Amazon CISO CJ Moses" tagged as one span -> ORG "Amazon" and PER "CJ Moses";
        a name of two or more words right after a title ("security chief CJ Moses" as ORG) -> PER."""
        titles = self.titles(doc)
        starting_at = {t.start: t for t in titles}
        ending_at = {t.end: t for t in titles}
        result = []
        for ent in ents:
            if ent._.entity_source not in (None, "ner") or ent.label_ not in NAME_LABELS:
                result.append(ent)
                continue
            inner = [starting_at[i] for i in range(ent.start, ent.end) if i in starting_at]
            title = inner[-1] if inner and inner[-1].end < ent.end and ent.label_ in ("PER", "ORG") else None
            if title is None:
                titled = ent.start in ending_at or self._title_in_apposition(doc, ent, starting_at)
                after_title = ent.label_ != "PER" and titled and len(ent) >= 2
                result.append(
                    _new_span(doc, ent.start, ent.end, "PER", "ner")
                    if after_title and _looks_like_name(ent)
                    else ent
                )
                continue
            name_start = title.end
            while name_start < ent.end and doc[name_start].lower_ in self.honorifics:
                name_start += 1
            name = doc[name_start : ent.end]
            if len(name) > 0 and not _looks_like_name(name):
                result.append(ent)
                continue
            org_end = title.start
            while org_end > ent.start and doc[org_end - 1].text in POSSESSIVES:
                org_end -= 1
            if org_end > ent.start and doc[ent.start].lower_ not in self.honorifics:
                result.append(_new_span(doc, ent.start, org_end, "ORG", "ner"))
            if len(name) > 0:  # empty in "[Nordwind CISO Dr.] [Sabine Krüger]"
                result.append(_new_span(doc, name.start, name.end, "PER", "ner"))
        return result

    def _title_in_apposition(self, doc: Doc, ent: Span, starting_at: dict) -> bool:
        """ "CJ Moses, Amazon's chief information security officer, said": a comma, then at most an
        article and an organisation with its possessive, then a title. A relative clause ("Quartz
        Threat Labs, whose chief researcher ...") does not qualify: nothing but those may stand between."""
        i = ent.end
        if i >= len(doc) or doc[i].text != ",":
            return False
        i += 1
        if i < len(doc) and doc[i].lower_ in APPOSITION_ARTICLES:
            i += 1
        org = next((e for e in doc.ents if e.start == i and e.label_ == "ORG"), None)
        if org is not None:
            i = org.end
            if i < len(doc) and doc[i].text in POSSESSIVES:
                i += 1
        return i in starting_at

    def _trim_honorifics(self, ent: Span) -> Span | None:
        start = ent.start
        while start < ent.end and ent.doc[start].lower_ in self.honorifics:
            start += 1
        if start == ent.start:
            return ent
        return (
            _new_span(ent.doc, start, ent.end, ent.label_, ent._.entity_source) if start < ent.end else None
        )


@dataclass
class _Person:
    full: str  # the longest full name written for this person
    positions: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Acronym:
    full: str  # the name it abbreviates, without legal form for organisations
    label: str
    tokens: tuple[str, ...]  # as the tokenizer splits it: ("RNK", "-", "IT") in English


class _DocNames:
    """Evidence about names collected from one Doc's mentions."""

    def __init__(self, doc: Doc, ents: list[Span]) -> None:
        self.doc = doc
        self.words = {t.text for t in doc}
        mentions = [e for e in ents if e.label_ in NAME_LABELS]
        self.written = {_clean(e.text) for e in mentions}
        self.acronym_definers: set[int] = (
            set()
        )  # starts of PER mentions that define an acronym: organisations
        self.acronyms = self._acronyms(mentions)
        self.organisations = {self.org_name(e) for e in mentions if self._is_organisation(e)}
        self.organisations |= {a for a, acronym in self.acronyms.items() if acronym.label == "ORG"}
        self.short_forms = self._short_forms()
        self.people: dict[tuple[str, str], _Person] = {}  # (surname, first word) -> person
        for ent in mentions:
            words = self.base(_clean(ent.text)).split()
            if ent.label_ != "PER" or len(words) < 2 or self._names_organisation(" ".join(words)):
                continue
            person = self.people.setdefault((words[-1], words[0]), _Person(" ".join(words)))
            if len(words) > len(person.full.split()):
                person.full = " ".join(words)
            person.positions.append(ent.start)
        mentions_by_surname: dict[str, list[tuple[int, _Person]]] = {}
        for (surname, _), person in self.people.items():
            mentions_by_surname.setdefault(surname, []).extend((p, person) for p in person.positions)
        # surname -> (sorted positions of full-name mentions, the person at each)
        self.by_surname: dict[str, tuple[list[int], list[_Person]]] = {}
        for surname, found in mentions_by_surname.items():
            found.sort(key=lambda item: item[0])
            self.by_surname[surname] = ([p for p, _ in found], [person for _, person in found])

    def _is_organisation(self, ent: Span) -> bool:
        """ORG mentions, and PER mentions with a legal form or an acronym: "X GmbH", "X (XY)"."""
        if ent.label_ == "ORG":
            return True
        words = _clean(ent.text).split()
        legal_form = len(words) > 1 and words[-1].lower() in LEGAL_FORMS
        return ent.label_ == "PER" and (legal_form or ent.start in self.acronym_definers)

    def base(self, name: str) -> str:
        """The name without a genitive -s or possessive apostrophe, when the bare form is in the document."""
        if name.endswith(("'", "’")):
            return name[:-1]
        if len(name) > 3 and name.endswith("s"):
            bare = name[:-1]
            if bare in self.written or (" " not in bare and bare in self.words):
                return bare
        return name

    def org_name(self, ent: Span) -> str:
        return _strip_legal_form(self.base(_clean(ent.text)))

    def surname_of(self, word: str) -> str | None:
        bare = self.base(word)
        return bare if bare in self.by_surname else None

    # --- relabelling --------------------------------------------------------------------------------------

    def relabel(self, ent: Span) -> Span:
        if ent._.entity_source not in (None, "ner") or ent.label_ not in NAME_LABELS:
            return ent
        text = _clean(ent.text)
        if text in self.acronyms:
            label = self.acronyms[text].label
        elif ent.label_ == "PER":
            organisation = self._is_organisation(ent) or (
                not self.surname_of(text) and self._names_organisation(text)
            )
            label = "ORG" if organisation else "PER"
        elif " " not in text and self.surname_of(text):
            label = "PER"
        else:
            return ent
        if label == ent.label_:
            return ent
        return _new_span(self.doc, ent.start, ent.end, label, ent._.entity_source)

    def _names_organisation(self, text: str) -> bool:
        bare = _strip_legal_form(self.base(text))
        return bare in self.organisations or bare in self.short_forms

    def untagged_mentions(self, ents: list[Span]) -> list[Span]:
        """Surnames of known people and defined acronyms that NER left untagged."""
        tagged = {i for e in ents for i in range(e.start, e.end)}
        found: list[Span] = []
        by_first_token: dict[str, list[_Acronym]] = {}
        for acronym in self.acronyms.values():
            by_first_token.setdefault(acronym.tokens[0], []).append(acronym)
        i = 0
        while i < len(self.doc):
            token = self.doc[i]
            match = next(
                (
                    a
                    for a in by_first_token.get(token.text, ())
                    if tuple(t.text for t in self.doc[i : i + len(a.tokens)]) == a.tokens
                    and not tagged.intersection(range(i, i + len(a.tokens)))
                ),
                None,
            )
            if match is not None:
                found.append(_new_span(self.doc, i, i + len(match.tokens), match.label, "pattern"))
                i += len(match.tokens)
                continue
            if (
                i not in tagged
                and token.text[:1].isupper()
                and not token.is_punct
                and self.surname_of(token.text)
                and (i == 0 or self.doc[i - 1].lower_ not in DETERMINERS)
            ):
                found.append(_new_span(self.doc, i, i + 1, "PER", "pattern"))
            i += 1
        return found

    # --- canonical names ----------------------------------------------------------------------------------

    def canonical(self, ent: Span) -> str:
        text = _clean(ent.text)
        if text in self.acronyms:
            return self.acronyms[text].full
        if ent.label_ == "PER":
            return self._person(ent)
        if ent.label_ == "ORG":
            name = self.org_name(ent)
            return self.short_forms.get(name, name)
        return self.base(text)

    def _person(self, ent: Span) -> str:
        words = self.base(_clean(ent.text)).split()
        if len(words) >= 2:
            person = self.people.get((words[-1], words[0]))
            return person.full if person else " ".join(words)
        mentions = self.by_surname.get(words[0]) if words else None
        if not mentions:
            return " ".join(words)
        positions, persons = mentions
        at = bisect_right(positions, ent.start)
        return persons[at - 1 if at > 0 else 0].full

    def _acronyms(self, mentions: list[Span]) -> dict[str, _Acronym]:
        """ "Name (ACRO)": the acronym in parentheses right after a mention, or at the end of its span."""
        acronyms: dict[str, _Acronym] = {}
        for ent in mentions:
            name_end = ent.end
            inside = next((i for i in range(ent.start, ent.end) if self.doc[i].text == "("), None)
            if inside is not None:
                name_end = inside
            if name_end >= len(self.doc) or self.doc[name_end].text != "(" or name_end == ent.start:
                continue
            close = next(
                (j for j in range(name_end + 1, min(name_end + MAX_ACRONYM_TOKENS + 2, len(self.doc)))
                 if self.doc[j].text == ")"),
                None,
            )  # fmt: skip
            acronym = self.doc[name_end + 1 : close].text if close else ""
            if ACRONYM.match(acronym) and sum(c.isupper() for c in acronym) >= 2:
                full = self.doc[ent.start : name_end]
                name = (
                    _clean(full.text)
                    if ent.label_ in ("LOC", "MISC")
                    else _strip_legal_form(_clean(full.text))
                )
                tokens = tuple(t.text for t in self.doc[name_end + 1 : close])
                label = "ORG" if ent.label_ == "PER" else ent.label_  # people are not abbreviated
                if ent.label_ == "PER":
                    self.acronym_definers.add(ent.start)
                acronyms.setdefault(acronym, _Acronym(name, label, tokens))
        return acronyms

    def _short_forms(self) -> dict[str, str]:
        """ "Nordwind" -> "Nordwind Energie" when exactly one full name extends it by a company word."""
        extensions: dict[str, set[str]] = {}
        for name in self.organisations:
            words = name.split()
            if len(words) >= 2 and words[-1].lower() in ORG_DESIGNATORS:
                for k in range(1, len(words)):
                    extensions.setdefault(" ".join(words[:k]), set()).add(name)
        return {short: next(iter(full)) for short, full in extensions.items() if len(full) == 1}


def _looks_like_name(span: Span) -> bool:
    return 0 < len(span) <= MAX_NAME_TOKENS and all(t.text[:1].isupper() and not t.is_punct for t in span)


def _clean(text: str) -> str:
    """Whitespace collapsed, an acronym in parentheses at the end dropped: "RNK-IT GmbH (RNK)"."""
    text = " ".join(text.split())
    return _TRAILING_PARENTHESES.sub("", text) or text


def _strip_legal_form(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1].lower() in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def _new_span(doc: Doc, start: int, end: int, label: str, source: str | None) -> Span:
    """A span replacing another: extension values are keyed by offsets, so a moved span starts empty."""
    span = Span(doc, start, end, label=label)
    if span._.entity_source is None:
        span._.entity_source = source
    return span
