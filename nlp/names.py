"""`incident_person_names`: people in texts no statistical NER reads (a blank pipeline: French, and any
language without a model installed), so that quotes, roles and briefs have speakers there too.

A person is
- a listed first name (`roles.GivenNames`; "Jean-Pierre" by its first part) and one or two capitalised
  words after it, particles and hyphens inside: "Isabelle Marchand", "Charles de Gaulle", "Anne
  Le Gall", "Claire Martin-Dumas";
- two or three capitalised words in apposition with a job title ("Hervé Lambert, directeur général de
  l'ARS") or right after one ("la directrice générale Isabelle Marchand"): titles from `roles.TitleFinder`.
Not names: words already in an entity (a gazetteer's organisation, a threat actor), all-capital words
(acronyms), capitalised function words, days and months ("Mais", "Selon", "Jeudi"), a country as the
first word ("France Travail") and an organisation noun as the last ("Grace Hospital", "Nancy
Métropole"). New spans get `entity_source` "pattern". In a pipeline with an NER model the component
does nothing: the model's people are better evidence than these patterns.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.nlp.extensions import register_extensions
from incident_brief.nlp.labels import EntityKinds, entity_kinds
from incident_brief.nlp.roles import DETERMINERS, GivenNames, RoleLexicon, TitleFinder

NAME_PARTICLES = {"de", "du", "des", "d'", "d’", "le", "la", "van", "von", "der", "da", "di", "del"}
MAX_SURNAME_WORDS = 2
MAX_APPOSITION_WORDS = 3  # "Jean-Paul Le Goff, directeur ..."
NER_PIPES = ("ner", "incident_hf_ner")
# Capitalised at a sentence's start or in a date, never a name.
NOT_NAMES = {
    "mais", "selon", "pour", "avec", "dans", "après", "avant", "sans", "sous", "chez", "par", "et", "ou",
    "donc", "car", "puis", "alors", "ainsi", "enfin", "aussi", "comme", "quand", "lorsque", "si", "depuis",
    "pendant", "vers", "contre", "entre", "malgré", "pourtant", "cependant", "toutefois", "désormais",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "janvier", "février", "mars",
    "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "but", "and",
    "according", "after", "before", "with", "when", "while",
}  # fmt: skip
# Organisation nouns that end a name ("Nancy Métropole", "France Travail"), besides the lexicon's.
ORGANISATION_LAST_WORDS = {
    "métropole", "travail", "télévisions", "hôpital", "université", "mairie", "agglomération",
    "communauté", "conseil", "région", "département", "société", "banque", "assurances", "mutuelle",
    "clinique", "préfecture", "county", "city",
}  # fmt: skip


@Language.factory("incident_person_names", default_config={})
def make_person_names(nlp: Language, name: str) -> PersonNames:
    register_extensions()
    has_ner = any(pipe in nlp.pipe_names for pipe in NER_PIPES)
    return PersonNames(
        TitleFinder(nlp, RoleLexicon.load()), GivenNames.load(), entity_kinds(), enabled=not has_ner
    )


class PersonNames:
    def __init__(
        self, titles: TitleFinder, given_names: GivenNames, kinds: EntityKinds, *, enabled: bool
    ) -> None:
        self.titles = titles
        self.given_names = given_names
        self.countries = kinds.countries
        self.organisation_words = kinds.organisation_heads | ORGANISATION_LAST_WORDS
        self.enabled = enabled

    def __call__(self, doc: Doc) -> Doc:
        if not self.enabled:
            return doc
        taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
        found: list[tuple[int, int]] = []
        titles = self.titles(doc)
        title_ends = {title.end for title in titles}
        title_starts = {title.start for title in titles}
        i = 0
        while i < len(doc):
            end = self._named_from(doc, i, taken, title_ends, title_starts)
            if end is None:
                i += 1
                continue
            found.append((i, end))
            taken.update(range(i, end))
            i = end
        if found:
            spans = [Span(doc, start, end, label="PER") for start, end in found]
            for span in spans:
                span._.entity_source = "pattern"
            doc.ents = sorted([*doc.ents, *spans], key=lambda span: span.start)
        return doc

    def _named_from(
        self, doc: Doc, i: int, taken: set[int], title_ends: set[int], title_starts: set[int]
    ) -> int | None:
        """The end of a person's name starting at token i, or None."""
        if not _name_word(doc, i, taken) or (i > 1 and doc[i - 1].text == "-" and not doc[i - 2].whitespace_):
            return None  # "Centre-Val de Loire": the end of a hyphenated word is no first name
        if doc[i].text in self.countries:
            return None
        first = doc[i].text.split("-")[0]
        if self.given_names.gender(doc[i].text) or self.given_names.gender(first):
            end = _name_end(doc, i + 1, taken, MAX_SURNAME_WORDS)
            if end > i + 1:
                return end if self._personal(doc, end) else None
        end = _name_end(doc, i, taken, MAX_APPOSITION_WORDS)
        if end - i < 2 or (i > 0 and _name_word(doc, i - 1, taken)) or not self._personal(doc, end):
            return None
        after_title = i in title_ends or (i > 0 and doc[i - 1].text == "," and i - 1 in title_ends)
        apposition = (
            end + 1 < len(doc)
            and doc[end].text == ","
            and (end + 1 in title_starts or (doc[end + 1].lower_ in DETERMINERS and end + 2 in title_starts))
        )
        return end if after_title or apposition else None

    def _personal(self, doc: Doc, end: int) -> bool:
        """No organisation noun ends the name ("Grace Hospital", "Nancy Métropole")."""
        return doc[end - 1].lower_ not in self.organisation_words


def _name_end(doc: Doc, start: int, taken: set[int], max_words: int) -> int:
    """The end of up to `max_words` capitalised words from `start`; a particle before a word belongs to
    it ("Charles de Gaulle", "Anne Le Gall"), and so does a hyphen inside one ("Martin-Dumas")."""
    end, words = start, 0
    while end < len(doc) and words < max_words:
        if _name_word(doc, end, taken):
            end, words = end + 1, words + 1
            while (
                end + 1 < len(doc)
                and doc[end].text == "-"
                and not doc[end - 1].whitespace_
                and not doc[end].whitespace_
                and _name_word(doc, end + 1, taken)
            ):
                end += 2
        elif doc[end].lower_ in NAME_PARTICLES and _name_word(doc, end + 1, taken):
            end += 1  # the word after it is taken next round
        else:
            break
    return end


def _name_word(doc: Doc, i: int, taken: set[int]) -> bool:
    """A capitalised word that is no acronym, no function word or date word, and in no entity yet."""
    if i >= len(doc) or i in taken:
        return False
    token = doc[i]
    text = token.text
    return (
        len(text) > 1
        and text[:1].isupper()
        and not text.isupper()
        and all(c.isalpha() or c in "-'’" for c in text)
        and token.lower_ not in DETERMINERS
        and token.lower_ not in NOT_NAMES
    )
