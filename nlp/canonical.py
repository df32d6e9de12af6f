"""`incident_canonicalizer`: one canonical name per person, organisation and place within a document.

Names (`span._.canonical`) of PER, ORG, LOC and MISC mentions; a canonical set earlier (the actor linker's
catalog names, a gazetteer's) is never overwritten, and other labels (PRODUCT, THREAT_ACTOR, ...) are left
alone, so "Microsoft 365" never becomes "Microsoft".

- Names leave out honorifics, which are also trimmed off PER spans ("Dr. Martin Albrecht" -> "Martin
  Albrecht"), and organisations' legal forms ("Nordwind Energie AG" -> "Nordwind Energie").
- A person's surname alone links to the full name with that surname ("Moses" -> "CJ Moses"); with two
  people of one surname, to the nearest full mention before it (else after it).
- German genitives and English possessives: "Amazons", "Bells" -> "Amazon", "Bell" when the bare form also
  occurs in the document (so "Moses" and "Arcturus" stay as they are). German names after an article of
  the genitive or dative are named in the nominative: "der Deutschen Nachrichtenagentur" -> "Deutsche
  Nachrichtenagentur", "des Norddeutschen Rundfunks" -> "Norddeutsche Rundfunk" (plural names keep
  their -en: "der Vereinten Nationen").
- An acronym defined in parentheses after a name, "Rhein-Neckar Kommunal-IT GmbH (RNK-IT)", links to that
  full name; so does a short form of an organisation whose full name adds a company word ("Nordwind" ->
  "Nordwind Energie", "Arcturus" -> "Arcturus Networks"; not "Microsoft" -> "Microsoft Security"), and the
  first word of exactly one organisation's name written alone and tagged as a person ("Greyfriars" ->
  "Greyfriars Digital").

It also repairs NER errors that the whole document makes visible (new spans get entity_source "pattern"):
- a job title inside a PER or ORG span is cut out: "Amazon CISO CJ Moses" (one ORG) -> ORG "Amazon" and
  PER "CJ Moses"; a name of two or more capitalised words right after a title is a person ("security chief
  CJ Moses" tagged ORG), and so is one followed by an apposition with a title, adjectives and nouns before
  it allowed ("Siobhan O'Rourke, general manager of …" tagged MISC);
- a capitalised common noun opening a sentence or headline that the model took into a name is cut off when
  the document also writes it in lower case ("Insurer Halvard Mutual says …" beside "the insurer said");
- a one-word mention tagged ORG, LOC or MISC, or left untagged, that is the surname of a person named in
  full in the document becomes PER ("Moses erklärte" with Moses as LOC); untagged ones only when
  capitalised and not after an article ("der Vogel" stays a bird);
- a one-word PER mention that names an organisation of the document (not also a surname) becomes ORG
  ("Nordwind spokesperson Jana Petersen" with Nordwind as PER), and so does a LOC or MISC mention that is
  an organisation's short form ("Skyport" as LOC beside "Skyport Solutions");
- every occurrence of a defined acronym becomes a mention with the label of the name it abbreviates;
- a product's first word written alone and tagged as a person is that product ("Gatekeeper" beside
  "Gatekeeper Secure Access"), unless an organisation's name opens with it too.
- German organisations the model misses: an organisation noun with a place adjective or a name after it
  ("Mainfurter Volksbank", "Stadtwerke Lindenau"), a name after a company noun ("des Herstellers Voltrion");
  English "St. Aldhelm's Regional Hospital", PER names ending in a company word, one-word mentions of a
  name written family name first ("Nguyen" -> "Nguyen Thi Lan").
- with a tagger (English), first names (`roles.GivenNames`) tell people from organisations: a listed first
  name right before a tagged name joins it as a person ("Ana" + "Costa"/ORG); a two-word name starting
  with one is a person unless a company word ends it; a one-word PER without one after a lower-case
  non-title noun is an organisation ("Game publisher Starforge").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.nlp.extensions import register_extensions
from incident_brief.nlp.labels import EntityKinds, entity_kinds
from incident_brief.nlp.roles import DETERMINERS, POSSESSIVES, GivenNames, RoleLexicon, TitleFinder

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
    "logistik", "logistics", "pharma", "motors", "airlines", "industries", "international", "analytics",
}  # fmt: skip
# Heads of English institution names written with a saint's or founder's possessive: "St. Mary's Hospital".
INSTITUTION_HEADS = {
    "hospital", "college", "university", "school", "church", "clinic", "infirmary", "academy",
}  # fmt: skip
# German organisation nouns (also as the last part of a compound: "Volksbank", "Landeskriminalamt") that
# head a name with a place adjective before them ("Mainfurter Volksbank") or a name after them
# ("Stadtwerke Lindenau", "Hochschule Talbach").
GERMAN_ORG_HEADS = (
    "bank", "sparkasse", "werke", "hochschule", "universität", "kriminalamt", "amt", "behörde", "verband",
    "zentrale", "gericht", "ministerium", "klinikum", "krankenhaus", "versicherung", "kasse", "polizei",
    "staatsanwaltschaft", "stiftung", "agentur",
)  # fmt: skip
# German nouns for a kind of company: a capitalised word right after one names it ("des Herstellers
# Voltrion", "der Dienstleister Kontovia"); genitive forms included.
GERMAN_COMPANY_KINDS = (
    "hersteller", "herstellers", "dienstleister", "dienstleisters", "anbieter", "anbieters", "konzern",
    "konzerns", "betreiber", "betreibers", "versorger", "versorgers", "zulieferer", "zulieferers", "firma",
    "softwarehaus", "softwarehauses", "start-up", "start-ups", "autobauer", "autobauers", "versicherer",
    "versicherers", "händler", "händlers",
)  # fmt: skip
# Last words (also as a compound's last part) of German company names formed as "<name> <sector>": "Ostmark
# Netz", "Wandtke Fahrzeugtechnik", "Hanseatica Versicherungsgruppe", "Fernwelt Telekom".
GERMAN_SECTOR_WORDS = (
    "netz", "netze", "technik", "gruppe", "telekom", "energie", "werke", "logistik", "systeme",
    "versicherung", "software", "holding", "pharma", "medien", "elektronik", "chemie", "mobilfunk", "digital",
    "bahn",
)  # fmt: skip
MAX_APPOSITION_NAME_WORDS = 3  # "die Präsidentin des Landesamts, Gesine Harms-Okafor,"
MAX_TITLE_COMPLEMENT = 4  # tokens between a title and its apposition: "Vizepräsident für Digitalisierung"
# Endings of German abstract nouns, which are no company names: "des Herstellers Entscheidung".
GERMAN_NOUN_ENDINGS = ("ung", "heit", "keit", "schaft", "tion", "tät", "nis", "ismus", "ungen")
# Articles (and contractions) of the genitive and dative, after which a German name's adjectives end in
# -en; and those of the masculine and neuter genitive, after which its noun ends in -(e)s.
GERMAN_OBLIQUE_ARTICLES = {
    "der", "des", "dem", "den", "einer", "eines", "einem", "im", "am", "vom", "zum", "zur", "beim",
    "dieser", "dieses", "diesem",
}  # fmt: skip
GERMAN_GENITIVE_ARTICLES = {"des", "eines", "dieses"}
# Endings of German adjective stems (deutsch, europäisch, vereint, vereinigt, national, kassenärztlich):
# they tell "der Deutschen Bank" from nouns in -en such as "dem Hafen Hamburg" or "im Norden Europas".
GERMAN_ADJECTIVE_STEMS = (
    "sch", "lich", "ig", "igt", "eint", "sam", "bar", "haft", "al", "ell", "iv", "är", "ös",
)  # fmt: skip
MAX_INSTITUTION_WORDS = 3  # capitalised words after the possessive: "St. Aldhelm's Regional Hospital"
ACRONYM = re.compile(r"^[A-ZÄÖÜ][A-Za-zÄÖÜäöü0-9&.\-]{1,11}$")
_TRAILING_PARENTHESES = re.compile(r"\s*\([^()]*\)$")
MAX_ACRONYM_TOKENS = 5  # "RNK - IT" is three English tokens
APPOSITION_ARTICLES = {"a", "an", "the", "der", "die", "das", "ein", "eine", "le", "la", "un", "une"}
MAX_NAME_TOKENS = 4  # the name part after a title inside a span: "Dr. Sabine Krüger"
MAX_TITLE_LEAD_WORDS = 2  # lower-case words before a title in an apposition: "general manager"


@Language.factory("incident_canonicalizer", default_config={})
def make_canonicalizer(nlp: Language, name: str) -> Canonicalizer:
    register_extensions()
    return Canonicalizer(TitleFinder(nlp, RoleLexicon.load()), GivenNames.load(), entity_kinds())


class Canonicalizer:
    def __init__(self, titles: TitleFinder, given_names: GivenNames, kinds: EntityKinds) -> None:
        self.kinds = kinds
        self.titles = titles
        self.honorifics = titles.lexicon.honorifics
        self.given_names = given_names

    def __call__(self, doc: Doc) -> Doc:
        ents = self._split_titles(doc, list(doc.ents))
        ents = [self._trim_honorifics(e) if e.label_ == "PER" else e for e in ents]
        lower_nouns = {t.lower_ for t in doc if t.is_lower and t.pos_ == "NOUN"}
        lower_nouns |= {t.lemma_ for t in doc if t.is_lower and t.pos_ == "NOUN"}  # "insurers" for "Insurer"
        ents = [_trim_sentence_initial_noun(e, lower_nouns) for e in ents]
        ents = [e for e in ents if e is not None]
        ents = [_with_institution(e) for e in ents]
        if doc.lang_ == "de":
            ents = _german_organisations(doc, ents, self.kinds)
            ents = _german_appositions(doc, ents, self.titles(doc))
        if doc.has_annotation("TAG"):  # validated on English; the German pipeline has no tagger
            tagged_tokens = {i for e in ents for i in range(e.start, e.end)}
            ents = [self._by_given_name(doc, e, tagged_tokens) for e in ents]
        ents = _product_short_forms(doc, ents)
        names = _DocNames(doc, ents, self.given_names)
        ents = [names.relabel(e) for e in ents]
        ents += names.untagged_mentions(ents)
        doc.ents = sorted(ents, key=lambda e: e.start)
        # Again: the relabelled mentions are evidence too.
        names = _DocNames(doc, list(doc.ents), self.given_names)
        known = names.known_expansions(doc.ents)
        for ent in doc.ents:
            if ent.label_ in NAME_LABELS and ent._.canonical is None:
                name = names.canonical(ent)
                ent._.canonical = known.get(name, name)
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
        if i + 1 < len(doc) and doc[i].is_lower and doc[i + 1].text in POSSESSIVES:
            i += 2  # "KC Anand, the company's chief information security officer"
        org = next((e for e in doc.ents if e.start == i and e.label_ == "ORG"), None)
        if org is not None:
            i = org.end
            if i < len(doc) and doc[i].text in POSSESSIVES:
                i += 1
        # Adjectives and nouns before the title, where a tagger says so: "general manager", "a senior
        # threat analyst" (not "deren Sicherheitschef", a relative clause).
        lead_end = min(i + MAX_TITLE_LEAD_WORDS, len(doc))
        while i not in starting_at and i < lead_end and doc[i].is_lower and doc[i].pos_ in ("ADJ", "NOUN"):
            i += 1
        return i in starting_at

    def _by_given_name(self, doc: Doc, ent: Span, tagged_tokens: set[int]) -> Span:
        """First names tell people from organisations: "Ana Costa" with only "Costa" tagged (ORG) is a
        person, so is "Ana Costa" tagged ORG; "Starforge" tagged PER after "publisher", no first name, is
        an organisation."""
        if ent._.entity_source not in (None, "ner") or ent.label_ not in NAME_LABELS:
            return ent
        before = doc[ent.start - 1] if ent.start > 0 else None
        given_before = (
            before is not None
            and before.i not in tagged_tokens
            and before.pos_ == "PROPN"
            and self.given_names.gender(before.text) is not None
        )
        if given_before and len(ent) <= 2 and _looks_like_name(ent):
            return _new_span(doc, ent.start - 1, ent.end, "PER", "ner")
        last = doc[ent.end - 1].lower_
        if (
            ent.label_ != "PER"
            and len(ent) == 2
            and all(t.pos_ == "PROPN" for t in ent)
            and self.given_names.gender(ent[0].text) is not None
            and last not in ORG_DESIGNATORS
            and last not in LEGAL_FORMS
        ):
            return _new_span(doc, ent.start, ent.end, "PER", "ner")
        organisation_noun_before = (
            before is not None
            and before.is_lower
            and before.pos_ == "NOUN"
            and self.titles.lexicon.word_role(before.text) is None
        )
        if (
            ent.label_ == "PER"
            and len(ent) == 1
            and organisation_noun_before
            and self.given_names.gender(ent.text) is None
        ):
            return _new_span(doc, ent.start, ent.end, "ORG", "ner")
        return ent

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

    def __init__(self, doc: Doc, ents: list[Span], given_names: GivenNames) -> None:
        self.doc = doc
        self.given_names = given_names
        self.words = {t.text for t in doc}
        mentions = [e for e in ents if e.label_ in NAME_LABELS]
        self.written = {_clean(e.text) for e in mentions}
        self.acronym_definers: set[int] = (
            set()
        )  # starts of PER mentions that define an acronym: organisations
        self.acronyms = self._acronyms(mentions)
        # One-word mentions the model took for a person: candidates for an organisation's short form. Only
        # where a tagger ran: validated on English, the German pipeline (no tagger) keeps its behaviour.
        tagged = doc.has_annotation("TAG")
        self.alone = (
            {_clean(e.text) for e in mentions if len(e) == 1 and e.label_ == "PER"} if tagged else set()
        )
        self.short_form_places = tagged
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
        """ORG mentions, and PER mentions with a legal form, a company word or an acronym: "X GmbH",
        "Coldharbour Analytics", "X (XY)"."""
        if ent.label_ == "ORG":
            return True
        words = _clean(ent.text).split()
        legal_form = len(words) > 1 and words[-1].lower() in LEGAL_FORMS | ORG_DESIGNATORS
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
        elif self.short_form_places and self._names_organisation(text):  # "Skyport" as a place, "Corvex" MISC
            label = "ORG"
        else:
            return ent
        if label == ent.label_:
            return ent
        span = _new_span(self.doc, ent.start, ent.end, label, ent._.entity_source)
        if label == "ORG" and text in self.short_forms:  # relabelled, it would count as an organisation
            span._.canonical = self.short_forms[text]
        return span

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

    def known_expansions(self, ents) -> dict[str, str]:
        """A catalog's name for a defined acronym's expansion: in "U.S. Cybersecurity and Infrastructure
        Security Agency (CISA)" the gazetteer named "CISA"; the expansion and the acronym are one party,
        so the expansion takes that name too (and the other way round: "Federal Office for Information
        Security (BSI)" with the catalog knowing the long form)."""
        expansions = {acronym.full for acronym in self.acronyms.values()}
        known: dict[str, str] = {}
        for ent in ents:
            if ent._.canonical is None or ent.label_ not in NAME_LABELS:
                continue
            text = _clean(ent.text)
            if text in self.acronyms:
                known.setdefault(self.acronyms[text].full, ent._.canonical)
            elif _strip_legal_form(text) in expansions:
                known.setdefault(_strip_legal_form(text), ent._.canonical)
        return known

    def canonical(self, ent: Span) -> str:
        text = _clean(ent.text)
        if text in self.acronyms:
            return self.acronyms[text].full
        if ent.label_ == "PER":
            return self._person(ent)
        article = self.doc[ent.start - 1].lower_ if ent.start > 0 else ""
        if ent.label_ == "ORG":
            name = self.org_name(ent)
            if self.doc.lang_ == "de":  # "des Landeskriminalamts Sachsen-Anhalt" -> "Landeskriminalamt …"
                first, _, rest = name.partition(" ")
                if first.lower().endswith(tuple(head + "s" for head in GERMAN_ORG_HEADS)):
                    name = f"{first[:-1]} {rest}".strip()
                name = german_nominative(name, article)
            return self.short_forms.get(name, name)
        name = self.base(text)
        return german_nominative(name, article) if self.doc.lang_ == "de" else name

    def _person(self, ent: Span) -> str:
        words = self.base(_clean(ent.text)).split()
        if len(words) >= 2:
            person = self.people.get((words[-1], words[0]))
            return person.full if person else " ".join(words)
        mentions = self.by_surname.get(words[0]) if words else None
        if not mentions:
            return self._family_name_first(words[0]) if words else ""
        positions, persons = mentions
        at = bisect_right(positions, ent.start)
        return persons[at - 1 if at > 0 else 0].full

    def _family_name_first(self, word: str) -> str:
        """ "Nguyen" -> "Nguyen Thi Lan": the first word of exactly one person's full name, when it is no
        listed first name (names written family name first)."""
        if self.given_names.gender(word) is not None:
            return word
        full = {p.full for (_, first), p in self.people.items() if first == word}
        return full.pop() if len(full) == 1 else word

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
        """ "Nordwind" -> "Nordwind Energie" when exactly one full name extends it by a company word; and
        the first word of exactly one organisation's name ("Greyfriars" -> "Greyfriars Digital") when that
        word is written alone, tagged as a person, and is neither a person's surname nor an organisation of
        its own ("Microsoft" beside "Microsoft Security" stays Microsoft)."""
        extensions: dict[str, set[str]] = {}
        first_words: dict[str, set[str]] = {}
        for name in self.organisations:
            words = name.split()
            if len(words) >= 2 and words[-1].lower() in ORG_DESIGNATORS:
                for k in range(1, len(words)):
                    extensions.setdefault(" ".join(words[:k]), set()).add(name)
            if len(words) >= 2:
                first_words.setdefault(words[0], set()).add(name)
        for word, names in first_words.items():
            if word in self.organisations or word in extensions or word not in self.alone:
                continue
            extensions[word] = names
        return {short: next(iter(full)) for short, full in extensions.items() if len(full) == 1}


def german_nominative(name: str, article: str) -> str:
    """A German name in the case its article shows, put in the nominative singular: the adjectives
    opening it (told by their stem's ending) end in -en after an article of the genitive, dative or
    masculine accusative ("der Deutschen Presse-Agentur", "im Bayerischen Wald"), and in -e in the
    nominative singular with an article ("die Deutsche Presse-Agentur"); after "des" the noun they
    qualify also drops its genitive ending ("des Norddeutschen Rundfunks" -> "Norddeutsche Rundfunk").
    A plural name keeps -en, as it does in its nominative ("die/der Vereinten Nationen"); its noun ends in
    -en. Other names are left as written."""
    if article not in GERMAN_OBLIQUE_ARTICLES:
        return name
    words = name.split(" ")
    adjectives = 0
    while (
        adjectives < len(words) - 1
        and words[adjectives][:1].isupper()
        and words[adjectives].endswith("en")
        and (adjectives or words[adjectives][:-2].endswith(GERMAN_ADJECTIVE_STEMS))  # "Deutschen Roten …"
    ):
        adjectives += 1
    if not adjectives or words[adjectives].endswith("en"):
        return name
    words[:adjectives] = [word[:-1] for word in words[:adjectives]]
    noun = words[adjectives]
    if article in GERMAN_GENITIVE_ARTICLES and len(noun) > 4 and noun[0].isupper():
        if noun.endswith("es"):  # "des Deutschen Roten Kreuzes", "des Europäischen Kongresses"
            words[adjectives] = noun[:-2]
        elif noun.endswith("s") and noun[-2] not in "aeiouäöüs":  # "Rundfunks", not "Atlas"
            words[adjectives] = noun[:-1]
    return " ".join(words)


def _product_short_forms(doc: Doc, ents: list[Span]) -> list[Span]:
    """ "Gatekeeper" beside the product "Gatekeeper Secure Access", tagged as a person (or place, MISC): the
    first word of exactly one product's name, written alone, is that product, unless it also opens an
    organisation's name of two or more words ("Arcturus" beside "Arcturus Networks" is the vendor). Not
    when tagged as an organisation: "Microsoft" beside "Microsoft 365" is the company."""
    products: dict[str, set[str]] = {}
    for ent in ents:
        if ent.label_ == "PRODUCT" and len(ent) >= 2:
            products.setdefault(ent[0].text, set()).add(ent._.canonical or _clean(ent.text))
    if not products:
        return ents
    vendors = {e[0].text for e in ents if e.label_ == "ORG" and len(e) >= 2}
    result = []
    for ent in ents:
        names = products.get(ent.text) if len(ent) == 1 else None
        if (
            names is None
            or len(names) != 1
            or ent.text in vendors
            or ent.label_ not in ("PER", "LOC", "MISC")
            or ent._.entity_source not in (None, "ner")
        ):
            result.append(ent)
            continue
        span = _new_span(doc, ent.start, ent.end, "PRODUCT", ent._.entity_source)
        span._.canonical = next(iter(names))
        result.append(span)
    return result


def _trim_sentence_initial_noun(ent: Span, lower_nouns: set[str]) -> Span:
    """ "Retailer Maplewood confirms …", "Insurer Halvard Mutual says …": a capitalised common noun at the
    start of a sentence or headline that the model took into a name, recognised by the document writing
    the same word as a lower-case noun elsewhere ("the insurer said"; a tagger must say it is a noun, so
    "National Grid" beside "national" stays whole)."""
    first = ent.doc[ent.start]
    starts_sentence = first.is_sent_start or ent.start == 0 or "\n" in ent.doc[ent.start - 1].text
    if (
        len(ent) < 2
        or ent.label_ not in NAME_LABELS
        or ent._.entity_source not in (None, "ner")
        or not starts_sentence
        or not first.is_title
        or first.lower_ not in lower_nouns
        or not ent.doc[ent.start + 1].text[:1].isupper()
    ):
        return ent
    return _new_span(ent.doc, ent.start + 1, ent.end, ent.label_, ent._.entity_source)


def _with_institution(ent: Span) -> Span:
    """ "St. Aldhelm's Regional Hospital" with only "St. Aldhelm" tagged: an organisation (or place) followed
    by a possessive and capitalised words ending in an institution noun is that institution's name."""
    doc = ent.doc
    i = ent.end
    if ent.label_ not in ("ORG", "LOC") or i >= len(doc) or doc[i].text not in POSSESSIVES:
        return ent
    end = i + 1
    while end < min(len(doc), i + 1 + MAX_INSTITUTION_WORDS) and doc[end].is_title and doc[end].is_alpha:
        if doc[end].lower_ in INSTITUTION_HEADS:
            return _new_span(doc, ent.start, end + 1, "ORG", ent._.entity_source)
        end += 1
    return ent


def _german_organisations(doc: Doc, ents: list[Span], kinds: EntityKinds) -> list[Span]:
    """Organisation names the German model misses: a capitalised organisation noun with a place adjective
    before it or a name after it ("der Mainfurter Volksbank", "Stadtwerke Lindenau" with only "Lindenau"
    tagged), and a name after a company noun ("des Herstellers Voltrion"), with its other bare mentions."""
    ent_at = {i: e for e in ents for i in range(e.start, e.end)}
    after_determiner = {t.text for t in doc if t.i > 0 and doc[t.i - 1].lower_ in APPOSITION_ARTICLES}
    pairs: dict[tuple[str, str], int] = {}
    for a, b in zip(doc[:-1], doc[1:], strict=True):
        pairs[(a.text, b.text)] = pairs.get((a.text, b.text), 0) + 1
    found: list[tuple[int, int]] = []
    names: set[str] = set()
    for token in doc:
        lower, i = token.lower_, token.i
        if not token.text[:1].isupper() or not (token.is_alpha or "-" in token.text):
            continue
        if lower.endswith(GERMAN_ORG_HEADS) and not kinds.names_thing(lower):  # no "Wissensdatenbank"
            start, end = i, i + 1
            while start > 0 and _place_adjective(doc[start - 1]) and start - 1 not in ent_at:
                start -= 1
            following = doc[end] if end < len(doc) else None
            if following is not None and following.text[:1].isupper() and following.is_alpha:
                named = ent_at.get(end)
                if named is not None and named._.entity_source == "gazetteer":
                    continue  # "die US-Cybersicherheitsbehörde CISA" describes the catalogued CISA
                if named is not None and named.label_ in ("LOC", "ORG", "MISC") and named.start == end:
                    end = named.end
                elif named is None and pairs.get((token.text, following.text), 0) >= 2:
                    end += 1  # "Hochschule Talbach" in the headline and again in the text
            if end - start > 1:
                found.append((start, end))
        elif lower.endswith(GERMAN_COMPANY_KINDS) and i + 1 < len(doc):
            name = doc[i + 1]
            tagged = ent_at.get(name.i)
            is_name = (
                name.text[:1].isupper()
                and name.is_alpha
                and (tagged is None or (tagged.label_ == "PER" and len(tagged) == 1))  # no person follows
                and name.text not in after_determiner
                and not name.lower_.endswith(GERMAN_NOUN_ENDINGS)
            )
            if is_name:
                names.add(name.text)
    found += [
        (t.i, t.i + 1)
        for t in doc
        if t.text in names
        and (t.i not in ent_at or len(ent_at[t.i]) == 1)
        and not (t.i > 0 and doc[t.i - 1].text[:1] == "-")
    ]
    found += _sector_names(doc, ent_at, after_determiner, names)
    found += _organisations_with_place(doc, ents)
    named = {start for start, end in found if end - start == 1 and doc[start].text in names}
    sector = {(start, end) for start, end in found if end - start == 2 and start not in named}
    result = list(ents)
    for start, end in found:
        covered = [e for e in result if e.start < end and start < e.end]
        # A company's name beats a one-word person: "des Autobauers Velmora", "Hanseatica Versicherungsgruppe"
        renamed = (start in named or (start, end) in sector) and all(len(e) == 1 for e in covered)
        if any((e.label_ == "PER" and not renamed) or e.start < start or e.end > end for e in covered):
            continue  # a person, or an entity reaching further: left as the model tagged it
        if any(e.label_ == "ORG" and (e.start, e.end) == (start, end) for e in covered):
            continue
        result = [e for e in result if e not in covered] + [_new_span(doc, start, end, "ORG", "pattern")]
    return sorted(result, key=lambda e: e.start)


def _sector_names(
    doc: Doc, ent_at: dict[int, Span], after_determiner: set[str], names: set[str]
) -> list[tuple[int, int]]:
    """ "Ostmark Netz", "der Fernwelt Telekom": a name and a sector word after it. The first word is a name
    when NER tagged it alone somewhere, a company noun stands before it ("Netzbetreiber Ostmark"), or the
    text uses it alone without an article ("bei Fernwelt")."""
    bare = {t.text for t in doc if t.text[:1].isupper() and t.is_alpha and t.text not in after_determiner}
    tagged_alone = {e.text for e in ent_at.values() if len(e) == 1} | names
    found = []
    for first, second in zip(doc[:-1], doc[1:], strict=True):
        if not (
            first.text[:1].isupper() and first.is_alpha and second.text[:1].isupper() and second.is_alpha
        ):
            continue
        if not second.lower_.endswith(GERMAN_SECTOR_WORDS) or first.lower_.endswith(GERMAN_SECTOR_WORDS):
            continue
        if first.lower_ in DETERMINERS:  # "Die Gruppe droht …" after a colon: an article, no name
            continue
        alone = first.text in tagged_alone and not (first.i in ent_at and len(ent_at[first.i]) > 1)
        elsewhere = any(t.text == first.text and doc[t.i + 1 : t.i + 2].text != second.text for t in doc)
        if alone or (first.text in bare and elsewhere and not first.is_sent_start):
            found.append((first.i, second.i + 1))
    return found


def _organisations_with_place(doc: Doc, ents: list[Span]) -> list[tuple[int, int]]:
    """ "Landesamt für Informationssicherheit Niedersachsen": an organisation named by an organisation noun
    and the place right after it, which NER tagged apart."""
    starting_at = {e.start: e for e in ents}
    found = []
    for ent in ents:
        place = starting_at.get(ent.end)
        heads = any(t.lower_.endswith(GERMAN_ORG_HEADS) for t in ent)
        if ent.label_ == "ORG" and heads and place is not None and place.label_ == "LOC":
            found.append((ent.start, place.end))
    return found


def _german_appositions(doc: Doc, ents: list[Span], titles: list) -> list[Span]:
    """ "die Präsidentin des Landesamts, Gesine Harms-Okafor, …": capitalised words set off by commas after
    a title (and its complement) name a person, also where NER tagged only the surname ("Emre
    Kalaycıoğlu")."""
    ent_at = {i: e for e in ents for i in range(e.start, e.end)}
    result = list(ents)
    for title in titles:
        comma = next(
            (
                k
                for k in range(title.end, min(len(doc), title.end + MAX_TITLE_COMPLEMENT + 1))
                if doc[k].text == ","
            ),
            None,
        )
        if comma is None or any(doc[k].text in ".;:!?" for k in range(title.end, comma)):
            continue
        end = comma + 1
        while end < len(doc) and end - comma <= MAX_APPOSITION_NAME_WORDS and _name_word(doc[end]):
            end += 1
        closed = end < len(doc) and doc[end].text in (",", ".")
        covered = {ent_at[k] for k in range(comma + 1, end) if k in ent_at}
        if end - comma < 3 or not closed or any(e.label_ != "PER" or e.start <= comma for e in covered):
            continue
        if covered and all(e.start == comma + 1 and e.end == end for e in covered):
            continue
        result = [e for e in result if e not in covered] + [_new_span(doc, comma + 1, end, "PER", "pattern")]
    return sorted(result, key=lambda e: e.start)


def _name_word(token) -> bool:
    return token.text[:1].isupper() and (token.is_alpha or "-" in token.text) and token.text[-1:] != "-"


def _place_adjective(token) -> bool:
    """ "Mainfurter", "Berliner": a capitalised adjective formed from a place name."""
    return token.text[:1].isupper() and token.is_alpha and token.text.endswith("er") and len(token) > 4


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
