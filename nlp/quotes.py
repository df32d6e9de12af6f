"""`incident_quotes`: direct, partial and reported speech with its speaker, cue word and medium.

Results go to `doc._.quotes`, a list of `Quote` in text order.

Direct and partial quotes come from the quotation marks („…“ “…” "…" »…« «…» ‚…‘ ‘…’ ‹…› '…'), paired
by one left-to-right pass: an opening mark waits for one of its closing marks; marks of another style
inside are nested quotes; the same opening mark again before a close means the first was unbalanced (it
is dropped). A quote may run over paragraphs when each new paragraph opens with the same mark (news style);
a paragraph end without that is an unbalanced quote. Symmetric marks (" ') open only before a word and
not after a letter, and close only after a word, so apostrophes never pair.

- `direct`: the quote stands where a sentence stands (at the start of a clause, or after "said:" /
  "sagte," / "erklärte gegenüber Bloomberg:") and ends a clause. "…", he said, "…" is one direct quote:
  `text` is the quoted words of both parts joined by a space, and `start`/`end` run from the first quoted
  character to the last, so they include the attribution in between. Otherwise `text` is exactly
  `doc.text[start:end]`: the words inside the marks, without the marks.
- `partial`: quoted words inside a sentence ("called the attack "highly sophisticated""). Scare quotes and
  names are not quotes: after a naming word ("so-called", "namens", "dubbed"), or short quotes of
  capitalised words, or short ones in a sentence without a speech cue.
- French sets the attribution inside the guillemets (an incise): « …, a expliqué X, directrice de …, lors
  de … . … » is one direct quote of X whose `text` is the two parts joined by " […] " and whose
  `start`/`end` run over the incise, as for split quotes. French cue words are matched as written, like
  German ones; "X a précisé que …" opens reported speech without a comma; "selon X" needs a speaker.
- `indirect`: reported speech; `text` is the reported content. English from the dependency parse (a
  clausal complement of a cue verb: "said that …", "told Reuters …"); German from token patterns (the
  German pipeline has no parser): a cue verb followed by ", dass/ob/wie …" or by a clause in Konjunktiv I or
  II ("Moses sagte, man habe …"); "<clause>, sagte/so X."; "Wie X mitteilte, <clause>"; separable verbs
  when their particle ends the clause ("teilte … mit"); "hieß es" (a speaker only when a source is named,
  "aus X", "in einer Mitteilung des Konzerns"); and following sentences in Konjunktiv I
  continue the passage with the same speaker. In both languages "according to X", "laut X",
  "X zufolge", "nach Angaben von X": the rest of the sentence.

Speakers: the subject of the cue verb (English: from the parse, every subject of the verb and its
apposition, "Brendan Kowalczyk, a threat analyst at Emberline Security, told Reuters"; German: the name,
pronoun or role noun right after the cue verb, else the first one before it in the clause, people before
organisations). A subject that is a common noun speaks for the organisation its phrase names
("Maintainers of Pyxis said", "according to a report by Vantage Point Research"). What it refers to:
- a PER or ORG entity: itself (its `canonical` and `kb_id`); a PRODUCT, MISC or LOC entity as the subject
  speaks for an organisation ("GitHub said"), also after descriptive words ("UK retailer Halden said");
  the object of the cue verb ("told the Financial Times") is never its subject;
- he/she/er/sie: the most recent sentence before it (or the same sentence, before it) that mentions a
  person outside quotes, and in it the first person mentioned (subjects come first); in English he/she
  skip people whose first name is of the other sex (`roles.GivenNames`); they/it/"the
  company"/"das Unternehmen": the same for organisations, except outlets spoken to ("told Reuters"), and
  an organisation whose name ends in the noun comes first ("the bank" -> "Northgate Bank");
- a role noun ("the CISO", "die Sprecherin"): the most recent person whose role (from `incident_roles`)
  is of the same family; else the organisation the phrase names ("ein Microsoft-Sprecher" -> Microsoft);
  a spokesperson of no named organisation speaks for the organisation in focus;
- a name no entity covers (English: proper nouns; German only in a Doc without any PER entity, i.e. blank
  pipelines): the entity of the same name elsewhere in the Doc, else the name as written, completed to
  the longest name ending with it in the Doc (an organisation after "operator", "company" ...);
- an indefinite role noun ("a researcher said") named in the next two sentences ("The researcher, X,");
  German "ein Unternehmenssprecher" speaks for the organisation in focus, "so der Sprecher" after it too;
- nothing found: speaker None. A direct quote without its own attribution that directly follows a
  statement in the same paragraph continues that speaker's turn (lower confidence); otherwise no guess.
A learned ranker (`nlp/quote_speakers.py`; `speaker_ranker=False` turns it off) then chooses each quote's
speaker among the people and organisations mentioned around it and "no speaker", the rules' choice one
of its features; a speaker it changes gets the confidence of a continued turn.
A resolved pronoun or role noun is itself the latest mention of its speaker ("a spokeswoman said … She
said …"). Paragraph breaks bound subjects and reported clauses, and a headline (a first line without
closing punctuation) holds no reported speech: a parser that runs it into the first sentence would
otherwise find the subject there. Speech withheld ("did not say", "declined to say") reports nothing.

`sentence_start`/`sentence_end` are the character offsets of the sentence(s) holding the quote and its
attribution. `confidence` grows with the evidence: a direct quote with a named speaker highest, then a
pronoun, a role noun, a continued turn, no speaker; indirect and partial quotes a notch lower.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from pathlib import Path

from spacy.language import Language
from spacy.symbols import PROPN as PROPN_POS
from spacy.tokens import Doc, Span, Token

from incident_brief.nlp import quote_speakers as ranker
from incident_brief.nlp.extensions import register_extensions
from incident_brief.nlp.roles import FEMALE, MALE, POSSESSIVES, GivenNames, RoleLexicon, Title, TitleFinder

CUES_PATH = Path(__file__).resolve().parent / "data" / "quote_cues.json"

# Opening mark -> the marks that close it.
CLOSERS = {
    "„": '“”"',
    "“": "”“",
    "”": "”",
    '"': '"',
    "»": "«",
    "«": "»",
    "‚": "‘’",
    "‘": "’‘",
    "‹": "›",
    "›": "‹",
    "'": "'",
}
FRENCH_OPENERS, FRENCH_CLOSERS = "«‹", "»›"  # spaced inside the marks in French
SYMMETRIC = {'"', "'", "”", "’"}  # also written between letters: pair only at word edges
_MARK = re.compile("[" + re.escape("".join(set(CLOSERS) | set("".join(CLOSERS.values())))) + "]")
_CLAUSE_END = {".", "!", "?"}
_INNER_CLAUSE_END = ".,!?…;:–—-"
MAX_BEFORE_TOKENS = 40  # the attribution before a quote: "Moses lobte Bells Führung und bemerkte:"
MAX_AFTER_TOKENS = 20  # … and after one: ", sagte er gegenüber Bloomberg."
MAX_CUE_DISTANCE = 8  # tokens from the comma after a quote to the cue: ", Amazon CISO CJ Moses told"
MAX_COMPLEMENT_DISTANCE = 10  # tokens from a German cue verb to its ", dass": "wies darauf hin, dass"
MAX_SPEAKER_DISTANCE = 6  # tokens after a cue verb where an inverted subject may stand
MAX_INCISE_CUE_DISTANCE = 4  # tokens from an incise's comma to its cue: ", a-t-elle martelé"
INCISE_GAP = " […] "  # stands for the incise left out between the two parts of a French quote
INCISE_NOT = {"comme", "selon", "d'", "d’"}  # « …, comme le dit X, … »: X is cited, not speaking
# Words after a comma that go on with an incise's attribution rather than the quote: "…, a déclaré X, lors
# d'un point presse", "…, dans un communiqué", "…, mardi soir".
INCISE_CIRCUMSTANCES = {
    "lors", "dans", "devant", "sur", "au", "aux", "à", "en", "après", "avant", "pendant", "depuis", "hier",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "ce", "cette", "interrogé",
    "interrogée", "auprès", "sans",
}  # fmt: skip
MAX_PARTICLE_DISTANCE = 15  # tokens from a German separable verb to its particle: "teilte … mit"
MAX_SOURCE_DISTANCE = 12  # tokens after "hieß es" where its source may be named: "aus Ermittlerkreisen"
MAX_MEMBER_DEPTH = 2  # prepositional phrases followed from a noun to the organisation its people belong to
MEMBER_PREPOSITIONS = {"of", "at", "from", "by", "with"}
MAX_CONTINUATION_SENTENCES = 3  # Konjunktiv I sentences continuing a reported passage
SHORT_QUOTE_WORDS = 3  # quotes this short need a cue nearby, and capitalised ones are names
ORGANISATION_VOICES = {"spokesperson"}  # roles that speak for an organisation, not for themselves
SELF_REFERENCE = {"eigenen", "eigener"}  # "nach eigenen Angaben": the clause's own subject speaks
INDEFINITE = {"a", "an", "ein", "eine", "einer", "eines"}  # "a researcher said": maybe named later
DEFINITE = {"the", "der", "die", "das", "dem", "den"}
LOCATIVE = {"in", "aus", "from", "im"}  # "a researcher in Singapore": a place, not an employer
MAX_CATAPHORA_SENTENCES = 2  # sentences after "a researcher said" that may name the researcher
ROLE_FAMILIES = (
    {"CISO", "CSO", "head of security", "security officer"},
    {"CEO", "managing director", "president", "chair", "director general", "founder"},
    {"CTO", "CIO", "head of IT"},
)
MONTHS = {
    "januar", "jänner", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
    "november", "dezember", "january", "february", "march", "may", "june", "july", "october", "december",
    "jan", "feb", "mär", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "oct", "nov", "dez", "dec",
}  # fmt: skip
CONFIDENCE = {"named": 0.95, "pronoun": 0.85, "role": 0.8, "continued": 0.65, None: 0.5}
KIND_FACTOR = {"direct": 1.0, "indirect": 0.9, "partial": 0.85}
PERSON, GROUP = "PER", "ORG"
PRONOUN_GENDERS = {"he": MALE, "him": MALE, "his": MALE, "she": FEMALE, "her": FEMALE}
FRENCH_THAT = {"que", "qu'", "qu’"}  # opens reported speech right after the cue, without a comma
FRENCH_PRONOUN_GENDERS = {"il": MALE, "-il": MALE, "lui": MALE, "elle": FEMALE, "-elle": FEMALE}
SPEAKING_AS_GROUP = {"PRODUCT", "MISC", "LOC"}
IRREGULAR_CUES = {"said": "say", "says": "say", "told": "tell", "tells": "tell", "wrote": "write"}
INFLECTIONS = (("ied", "y"), ("ies", "y"), ("ed", "e"), ("ed", ""), ("es", ""), ("s", ""), ("ing", ""))


@dataclass(frozen=True)
class Speaker:
    text: str  # as written in the attribution ("er", "der CISO", "Moses")
    canonical: str | None  # the entity it resolves to ("CJ Moses")
    kb_id: str | None

    def to_dict(self) -> dict:
        return {"text": self.text, "canonical": self.canonical, "kb_id": self.kb_id}


@dataclass
class Quote:
    text: str
    kind: str  # "direct", "indirect" or "partial"
    start: int  # character offsets into the Doc
    end: int
    speaker: Speaker | None
    cue: str | None  # the cue word as written: "sagte", "told", "laut", "according to"
    medium: str | None  # whom it was said to: "Bloomberg"
    sentence_start: int
    sentence_end: int
    language: str
    confidence: float

    def to_dict(self, offset: int = 0) -> dict:
        return {
            "text": self.text,
            "kind": self.kind,
            "speaker": self.speaker.to_dict() if self.speaker else None,
            "cue": self.cue,
            "medium": self.medium,
            "start": self.start + offset,
            "end": self.end + offset,
            "sentence": [self.sentence_start + offset, self.sentence_end + offset],
            "language": self.language,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class CueLexicon:
    cues: frozenset[str]
    partial_cues: frozenset[str]
    according_to: tuple[tuple[str, ...], ...]
    according_after: frozenset[str]
    medium_markers: tuple[tuple[str, ...], ...]
    person_pronouns: frozenset[str]
    group_pronouns: frozenset[str]
    group_nouns: frozenset[str]
    determiners: frozenset[str]
    naming_markers: frozenset[str]
    complementizers: frozenset[str]
    subjunctive: frozenset[str]
    refusals: frozenset[str]  # verbs that withhold speech: "declined to say"
    reflexives: frozenset[str]  # "calls itself": what follows names the subject
    # German separable verbs: finite form -> the particles that make it a cue at the clause end ("teilte …
    # mit"); joined, the particle and form are a cue of their own in a verb-final clause ("mitteilte").
    particles: dict[str, frozenset[str]]
    joined_cues: frozenset[str]
    hearsay: frozenset[str]  # "hieß es": no speaker unless a source is named
    source_markers: frozenset[str]  # "aus Ermittlerkreisen", "in einer Mitteilung des Konzerns"

    @classmethod
    def load(cls, language: str, path: Path = CUES_PATH) -> CueLexicon:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entry = data.get(language) or data["en"]
            particles: dict[str, set[str]] = {}
            for particle, forms in entry["particle_verbs"].items():
                for form in forms:
                    particles.setdefault(form.lower(), set()).add(particle.lower())
            derived = ("particles", "joined_cues")
            return cls(
                **{
                    key: tuple(tuple(w.lower() for w in seq) for seq in entry[key])
                    if key in ("according_to", "medium_markers")
                    else frozenset(w.lower() for w in entry[key])
                    for key in cls.__dataclass_fields__
                    if key not in derived
                },
                particles={form: frozenset(found) for form, found in particles.items()},
                joined_cues=frozenset(p + form for form, found in particles.items() for p in found),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"quote cue lexicon {path} is unreadable: {type(exc).__name__}: {exc}") from None


@Language.factory("incident_quotes", default_config={"speaker_ranker": True})
def make_quotes(nlp: Language, name: str, speaker_ranker: bool) -> QuoteFinder:
    """The learned ranker (`nlp/quote_speakers.py`) re-decides the rules' speakers; `speaker_ranker=False`:
    the rules alone (for comparison and for training the ranker)."""
    register_quote_extensions()
    return QuoteFinder(
        nlp.lang,
        CueLexicon.load(nlp.lang),
        TitleFinder(nlp, RoleLexicon.load()),
        GivenNames.load(),
        ranker.SpeakerModel.load() if speaker_ranker else None,
    )


def register_quote_extensions() -> None:
    """Idempotent: the factory calls it, so any pipeline with the component has `doc._.quotes`."""
    register_extensions()
    if not Doc.has_extension("quotes"):
        Doc.set_extension("quotes", default=None)


class QuoteFinder:
    def __init__(
        self,
        language: str,
        lexicon: CueLexicon,
        titles: TitleFinder,
        given_names: GivenNames,
        speaker_model: ranker.SpeakerModel | None = None,
    ) -> None:
        self.language = language
        self.lexicon = lexicon
        self.titles = titles
        self.given_names = given_names
        self.speaker_model = speaker_model

    def __call__(self, doc: Doc) -> Doc:
        quotes = _DocQuotes(doc, self)
        doc._.quotes = quotes.find()
        if self.speaker_model is not None:
            for quote, found in quotes.speaker_candidates():
                quotes.apply(quote, ranker.choose(found, self.speaker_model))
        quotes.drop_place_speakers()
        return doc

    def candidates(self, doc: Doc) -> list[tuple[Quote, list[ranker.Candidate]]]:
        """Each quote with the rules' speaker and the ranker's candidates (for training the ranker)."""
        quotes = _DocQuotes(doc, self)
        doc._.quotes = quotes.find()
        return quotes.speaker_candidates()


# --- quotation marks ------------------------------------------------------------------------------------


@dataclass
class Marked:
    """Text between paired quotation marks; `pieces` are the inner ranges, one per paragraph."""

    open_at: int  # the opening mark
    close_at: int  # the closing mark
    pieces: list[tuple[int, int]]

    @property
    def inner_start(self) -> int:
        return self.pieces[0][0]

    @property
    def inner_end(self) -> int:
        return self.pieces[-1][1]


def find_marked(text: str) -> list[Marked]:
    """Paired quotation marks, in one pass over the marks (linear in their number)."""
    found: list[Marked] = []
    opener = ""
    open_at = piece_start = -1
    pieces: list[tuple[int, int]] = []
    for match in _MARK.finditer(text):
        i = match.start()
        mark = text[i]
        if opener:
            newline = text.find("\n", piece_start, i)
            if newline >= 0:
                # The paragraph ended inside the quote: it goes on if this mark opens the next paragraph.
                next_start = newline + len(text[newline:i]) - len(text[newline:i].lstrip())
                if mark == opener and i == next_start and _can_open(text, i):
                    pieces.append((piece_start, newline))
                    piece_start = i + 1
                    continue
                if mark in CLOSERS[opener] and _can_close(text, i) and "\n" not in text[next_start:i]:
                    # German style: the quote goes on in the next paragraph without a new opening mark.
                    pieces += [(piece_start, newline), (next_start, i)]
                    found.append(Marked(open_at, i, _stripped(text, pieces)))
                    opener = ""
                    continue
                opener = ""
            elif mark in CLOSERS[opener] and _can_close(text, i):
                pieces.append((piece_start, i))
                found.append(Marked(open_at, i, _stripped(text, pieces)))
                opener = ""
                continue
            elif not (mark == opener and _can_open(text, i)):
                continue  # a nested quote's mark, or an apostrophe
        if mark in CLOSERS and _can_open(text, i):
            opener, open_at, piece_start, pieces = mark, i, i + 1, []
    return [m for m in found if m.pieces]


def _can_open(text: str, i: int) -> bool:
    after = text[i + 1 : i + 2]
    if text[i] in FRENCH_OPENERS and after.isspace():  # « Nous sommes prêts. »
        after = text[i + 1 : i + 3].strip()
    if not after or after.isspace():
        return False
    return text[i] not in SYMMETRIC or i == 0 or not text[i - 1].isalnum()


def _can_close(text: str, i: int) -> bool:
    if i == 0 or (text[i - 1].isspace() and not (text[i] in FRENCH_CLOSERS and text[i - 2 : i - 1].strip())):
        return False
    return text[i] not in SYMMETRIC or i + 1 == len(text) or not text[i + 1].isalnum()


def _stripped(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result = []
    for start, end in pieces:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            result.append((start, end))
    return result


# --- one Doc --------------------------------------------------------------------------------------------


@dataclass
class Mention:
    """Who a speaker phrase names, before pronouns and role nouns are resolved."""

    kind: str  # "named", "pronoun" or "role"
    start: int  # token offsets
    end: int
    label: str  # PERSON or GROUP
    speaker: Speaker | None = None  # set for named mentions
    role: str | None = None
    employer: str | None = None


@dataclass
class Attribution:
    cue: Token | None
    cue_text: str | None
    mention: Mention | None
    medium: str | None
    first: int  # token range of the attribution
    last: int
    continued: bool = False  # a Konjunktiv I sentence going on with an earlier attribution


class _DocQuotes:
    def __init__(self, doc: Doc, finder: QuoteFinder) -> None:
        self.doc = doc
        self.text = doc.text
        self.lang = finder.language
        self.lex = finder.lexicon
        self.parsed = doc.has_annotation("DEP")
        self.lemmas = doc.has_annotation("LEMMA")
        self.starts = [t.idx for t in doc]
        self.marked = find_marked(self.text)
        self.quoted_tokens: set[int] = set()
        for marked in self.marked:
            self.quoted_tokens.update(
                range(self._token_at(marked.inner_start), self._token_at(marked.inner_end - 1) + 1)
            )
        self.mark_tokens = {self._token_at(m.open_at) for m in self.marked} | {
            self._token_at(m.close_at) for m in self.marked
        }
        self.ent_at: dict[int, Span] = {}
        for ent in doc.ents:
            for i in range(ent.start, ent.end):
                self.ent_at[i] = ent
        self.titles: dict[int, Title] = {t.start: t for t in finder.titles(doc)}
        self.title_ends = {t.end - 1 for t in self.titles.values()}
        self.role_words = finder.titles.lexicon
        self.given_names = finder.given_names
        self.has_people = any(e.label_ == PERSON for e in doc.ents)
        self.tagged_names = {e.text: e for e in doc.ents if e.label_ in (PERSON, GROUP)}
        self.headline_end = _headline_end(self.text)
        self.rule_results: list[tuple[Quote, Attribution | None, str | None]] = []  # filled by `find`
        self.remembered: set[int] = set()  # starts of resolved pronouns and role nouns kept as mentions
        self.media: set[int] = set()  # starts of entities spoken to ("told Reuters"): outlets, not speakers
        self.datelines = {e.start for e in doc.ents if self._in_dateline(e)}  # "Mannheim (dna) –": outlets
        self.mentions = self._mentions_outside_quotes()
        # French sets the attribution inside the guillemets (an incise): « …, a expliqué X, … . … ». Its
        # words are no quoted words: a pronoun later may refer to the person it names.
        self.incises: dict[int, tuple[int, int, Attribution]] = {}  # marked index -> tokens [start, end)
        if self.lang == "fr":
            for k, marked in enumerate(self.marked):
                incise = self._incise(k, marked)
                if incise is not None:
                    self.incises[k] = incise
                    self.quoted_tokens.difference_update(range(incise[0], incise[1]))
            if self.incises:
                self.mentions = self._mentions_outside_quotes()

    def _mentions_outside_quotes(self) -> list[tuple[int, str, Speaker, str | None]]:
        """People and organisations named outside quotes, for pronouns and role nouns: (token, label,
        speaker, role)."""
        return [
            (e.start, e.label_, _entity_speaker(e), e._.role)
            for e in self.doc.ents
            if e.label_ in (PERSON, GROUP) and e.start not in self.quoted_tokens
        ]

    def _in_dateline(self, ent: Span) -> bool:
        """A news agency in a dateline: "Mannheim (dna) – Nach dem Cyberangriff …", at a paragraph's start."""
        doc = self.doc
        if (
            ent.start < 2
            or ent.end + 1 >= len(doc)
            or doc[ent.start - 1].text != "("
            or doc[ent.end].text != ")"
        ):
            return False
        return (
            doc[ent.end + 1].text in ("–", "—", "-") and ent.start - 1 - self._paragraph_start(ent.start) <= 3
        )

    # --- driver ---

    def find(self) -> list[Quote]:
        items: list[tuple[Quote, Attribution | None]] = []
        items += self._direct_and_partial()
        direct_ranges = [(q.start, q.end) for q, _ in items if q.kind == "direct"]
        items += self._indirect(direct_ranges)
        items.sort(key=lambda item: item[0].start)
        for _quote, attribution in items:  # names found as speakers help resolve later pronouns
            mention = attribution.mention if attribution else None
            ent = self.ent_at.get(mention.start) if mention else None
            # "LinkedIn" tagged a product (with a parse: the German pipeline keeps the earlier behaviour)
            untagged = ent is None or (self.parsed and ent.label_ not in (PERSON, GROUP))
            if mention and mention.kind == "named" and mention.speaker and untagged:
                self.mentions.append((mention.start, mention.label, mention.speaker, mention.role))
        self.mentions.sort(key=lambda m: m[0])
        previous: tuple[Quote, int] | None = None  # the quote before, and its paragraph
        for quote, attribution in items:
            mention = attribution.mention if attribution else None
            # the reported words name parties, not who reports them: "X and Y are involved, according to the
            # company" is not X speaking
            content = (self._token_at(quote.start), self._token_at(max(quote.start, quote.end - 1)) + 1)
            speaker = self._resolve(mention, content) if mention else None
            level = ("continued" if attribution.continued else mention.kind) if speaker else None
            paragraph = self.text.count("\n", 0, quote.start)
            if (
                speaker is None
                and attribution is None
                and quote.kind == "direct"
                and previous is not None
                and previous[1] == paragraph
                and previous[0].speaker is not None
            ):
                speaker, level = previous[0].speaker, "continued"
            quote.speaker = speaker
            # German: role nouns ("ein Unternehmenssprecher", "Einem Sprecher des Autobauers Velmora"), for
            # "so der Sprecher"; not a department's ("ein IT-Sprecher").
            remembered = self.parsed or (
                mention is not None
                and mention.kind == "role"
                and not (
                    mention.employer and self.doc[mention.end - 1].text.startswith(mention.employer + "-")
                )
            )
            if speaker is not None and mention is not None and mention.kind != "named" and remembered:
                self._remember(mention, speaker)
            quote.confidence = round(CONFIDENCE[level] * KIND_FACTOR[quote.kind], 2)
            previous = (quote, paragraph)
            self.rule_results.append((quote, attribution, level))
        return [quote for quote, _ in items]

    def drop_place_speakers(self) -> None:
        """A place is no speaker unless the text has it speak, as the cue's subject ("Germany said"): not in
        "Germany's Federal Office … urged", "U.S. and allied agencies said", "Baden-Württembergs
        Innenministerin … sprach", nor as the rules' or the ranker's guess from elsewhere. With a parse the
        same holds for other names (MISC: "one bakery owner in the Rhône region wrote")."""
        speaking = {_entity_speaker(e).canonical for e in self.doc.ents if e.label_ in (PERSON, GROUP)}
        places: dict[str | None, list[Span]] = {}
        for ent in self.doc.ents:
            if ent.label_ == "LOC" or (ent.label_ == "MISC" and self.parsed):
                places.setdefault(_entity_speaker(ent).canonical, []).append(ent)
        for quote, attribution, _ in self.rule_results:
            canonical = quote.speaker.canonical if quote.speaker else None
            if canonical not in places or canonical in speaking:
                continue
            cue = attribution.cue if attribution else None
            if cue is not None and any(self._subject_of(place, cue) for place in places[canonical]):
                continue
            quote.speaker = None
            quote.confidence = round(CONFIDENCE[None] * KIND_FACTOR[quote.kind], 2)

    def _subject_of(self, ent: Span, cue: Token) -> bool:
        if not self.parsed:  # "Frankreich erklärte", "erklärte Frankreich"
            return ent.end == cue.i or ent.start == cue.i + 1
        verb = cue
        while verb.dep_ == "conj" and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
            verb = verb.head  # "Germany rejected the claim and said"
        return ent.root.dep_ in ("nsubj", "nsubjpass") and ent.root.head == verb

    # --- the speaker ranker (nlp/quote_speakers.py) ---

    def speaker_candidates(self) -> list[tuple[Quote, list[ranker.Candidate]]]:
        """After `find`: each quote with its candidate speakers, features computed from the rules' results."""
        if not self.rule_results:
            return []
        layout = self._layout()
        mentions = self._ranker_mentions()
        result = []
        previous: str | None = None
        for quote, attribution, level in self.rule_results:
            # "a-t-il été précisé" names no one: no speaker for the ranker to guess
            if not (attribution and attribution.cue and self._impersonal(attribution.cue.i)):
                site = self._site(quote, attribution, level, previous)
                result.append((quote, ranker.candidates(site, mentions, layout)))
            previous = quote.speaker.canonical if quote.speaker else None
        return result

    def apply(self, quote: Quote, choice: ranker.Candidate) -> None:
        """The ranker's choice replaces the rules' when it differs (with the confidence of a guess)."""
        if choice.canonical == (quote.speaker.canonical if quote.speaker else None):
            return
        if choice.canonical is None:
            quote.speaker, level = None, None
        else:
            quote.speaker = Speaker(choice.written or choice.canonical, choice.canonical, choice.kb_id)
            level = "continued"
        quote.confidence = round(CONFIDENCE[level] * KIND_FACTOR[quote.kind], 2)

    def _layout(self) -> ranker.DocLayout:
        sentence_of = [0] * len(self.doc)
        for k, sent in enumerate(self.doc.sents):
            sentence_of[sent.start : sent.end] = [k] * (sent.end - sent.start)
        newlines = [m.start() for m in re.finditer("\n", self.text)]
        paragraph_of = [bisect_right(newlines, start) for start in self.starts]
        return ranker.DocLayout(sentence_of, paragraph_of)

    def _ranker_mentions(self) -> list[ranker.MentionAt]:
        """People and organisations outside quotes (entities, resolved pronouns and role nouns) and the
        entities inside quotes."""
        found = [
            (start, label, speaker, False)
            for start, label, speaker, _ in self.mentions
            if speaker.canonical and label in (PERSON, GROUP)
        ]
        found += [
            (e.start, e.label_, _entity_speaker(e), True)
            for e in self.doc.ents
            if e.label_ in (PERSON, GROUP) and e.start in self.quoted_tokens
        ]
        known = {start for start, *_ in found}
        found += [item for item in self._other_names() if item[0] not in known]
        found.sort(key=lambda item: item[0])
        return [
            ranker.MentionAt(
                token=start,
                label=label,
                canonical=speaker.canonical,
                written=speaker.text,
                kb_id=speaker.kb_id,
                in_quote=in_quote,
                medium=start in self.media,
                first_name_gender=self.given_names.gender((speaker.canonical or "").split()[0])
                if label == PERSON and speaker.canonical
                else None,
            )
            for start, label, speaker, in_quote in found
        ]

    def _other_names(self) -> list[tuple[int, str, Speaker, bool]]:
        """Names the NER did not tag PER or ORG: other entities ("Marguerite Olawale-Finch" as a PRODUCT) and,
        with a parse, runs of proper nouns no entity covers. A person when the first of two or more words is
        a given name, else `OTHER`."""
        spans = [e for e in self.doc.ents if e.label_ not in (PERSON, GROUP) and e[0].text[:1].isupper()]
        # Part-of-speech ids from an array: iterating Token objects costs more than the rest of the ranker.
        pos = self.doc.to_array("POS").tolist() if self.parsed else []
        run_start: int | None = None  # proper nouns, joined by hyphens: "Olawale - Finch"
        for i in range(len(pos) + 1):  # len(pos): the end, which ends a run too
            if i < len(pos) and i not in self.ent_at:
                if pos[i] == PROPN_POS:
                    run_start = i if run_start is None else run_start
                    continue
                if run_start is not None and self.doc[i].text == "-":
                    continue
            if (
                run_start is not None
                and i - run_start >= 2
                and pos[i - 1] == PROPN_POS
                and self.text[self.starts[run_start]].isupper()
            ):
                spans.append(self.doc[run_start:i])
            run_start = None
        found = []
        for span in spans:
            person = len(span) >= 2 and self.given_names.gender(span[0].text) is not None
            speaker = Speaker(span.text, span.text, None)
            found.append(
                (span.start, PERSON if person else ranker.OTHER, speaker, span.start in self.quoted_tokens)
            )
        return found

    def _site(
        self, quote: Quote, attribution: Attribution | None, level: str | None, previous: str | None
    ) -> ranker.QuoteSite:
        first, last = self._token_at(quote.start), self._token_at(max(quote.start, quote.end - 1))
        cue = attribution.cue.i if attribution and attribution.cue is not None else None
        subjects: set[int] = set()
        if cue is not None and self.parsed:
            for child in self.doc[cue].children:
                if child.dep_ in ("nsubj", "nsubjpass"):
                    subjects.update(range(child.left_edge.i, child.right_edge.i + 1))
        mention = attribution.mention if attribution else None
        pronoun = (
            self.doc[mention.start : mention.end].text.lower()
            if mention and mention.kind == "pronoun"
            else ""
        )
        return ranker.QuoteSite(
            language=self.lang,
            kind=quote.kind,
            first=first,
            last=last,
            attribution=(attribution.first, attribution.last) if attribution else None,
            cue=cue,
            cue_subjects=frozenset(subjects),
            quoted=frozenset(i for i in range(first, last + 1) if i in self.quoted_tokens),
            rule_canonical=quote.speaker.canonical if quote.speaker else None,
            rule_level=level,
            # German "sie" may be "they": only "er" has a gender here
            pronoun_gender=self._pronoun_gender(pronoun)
            if self.parsed or self.lang == "fr"
            else {"er": MALE}.get(pronoun),
            reference_label=mention.label if mention and mention.kind == "pronoun" else None,
            previous_canonical=previous,
        )

    # --- direct and partial ---

    def _direct_and_partial(self) -> list[tuple[Quote, Attribution | None]]:
        results: list[tuple[Quote, Attribution | None, Marked]] = []
        previous_end = 0
        for k, marked in enumerate(self.marked):
            next_open = self.marked[k + 1].open_at if k + 1 < len(self.marked) else len(self.text)
            open_token = self._token_at(marked.open_at)
            close_token = self._token_at(marked.close_at)
            before = self._window_before(open_token, previous_end)
            after = self._window_after(close_token, next_open)
            previous_end = marked.close_at + 1
            if k in self.incises:
                results.append((*self._with_incise(marked, *self.incises[k]), marked))
                continue
            inner = " ".join(self.text[s:e] for s, e in marked.pieces)
            before_text = self.text[self.doc[before[0]].idx : marked.open_at].strip() if before else ""
            starts_clause = (
                not before_text
                or before_text.endswith(":")
                or (before_text.endswith(",") and self._find_cue(before) is not None)
            )
            ends_clause = (
                inner[-1] in _INNER_CLAUSE_END
                or not after
                or self.doc[after[0]].text in (",", ":", ";", "–", "—", ".", "!", "?")
            )
            if starts_clause and ends_clause:
                attribution = self._direct_attribution(before, after, inner)
                results.append((self._quote(marked, "direct", attribution), attribution, marked))
                continue
            if self._is_name(marked, inner, before):
                continue
            attribution = self._partial_attribution(before, after, open_token + 1)
            if attribution is None and len(inner.split()) <= SHORT_QUOTE_WORDS:
                continue  # a term in quotes, not a quote
            results.append((self._quote(marked, "partial", attribution), attribution, marked))
        return self._join_split(results)

    def _incise(self, k: int, marked: Marked) -> tuple[int, int, Attribution] | None:
        """An incise in a one-paragraph quote that nothing after the closing mark attributes: a comma, a
        cue verb a few words on ("a expliqué", "insiste", "a-t-elle martelé") and the speaker it names.
        Returns its tokens [start, end) and the attribution."""
        if len(marked.pieces) != 1:
            return None
        close_token = self._token_at(marked.close_at)
        next_open = self.marked[k + 1].open_at if k + 1 < len(self.marked) else len(self.text)
        after = self._window_after(close_token, next_open)
        if after and self.doc[after[0]].text == "," and self._attribution_after(after) is not None:
            return None  # « Le rapport, comme l'indique Microsoft, … », a déclaré X: X speaks
        first, last = self._token_at(marked.inner_start), self._token_at(marked.inner_end - 1)
        for comma in range(first + 1, last):
            if self.doc[comma].text != "," or self.doc[comma + 1].lower_ in INCISE_NOT:
                continue
            window = []
            for j in range(comma, last + 1):
                window.append(j)
                if self.doc[j].text in _CLAUSE_END:
                    break
            cue = next((j for j in window[1 : 1 + MAX_INCISE_CUE_DISTANCE] if self._is_cue(j)), None)
            if cue is None or any(self.doc[j].text == "," for j in range(comma + 1, cue)):
                continue  # « …, pas élevée, insiste X »: the incise starts at the later comma
            quoted = self.quoted_tokens.intersection(window)
            self.quoted_tokens -= quoted  # the attribution's words are not quoted words
            attribution = self._attribution_after(window)
            if attribution is None or attribution.cue is None or attribution.mention is None:
                self.quoted_tokens |= quoted
                continue
            return comma, self._incise_end(max(cue + 1, attribution.mention.end), last), attribution
        return None

    def _incise_end(self, i: int, last: int) -> int:
        """Where the quote resumes after an incise whose speaker ends before token i: after the sentence's
        end, or after a comma, unless a title ("…, directrice générale du GHVL,") or a circumstance
        ("…, lors d'un point presse à Tours.") after it still belongs to the attribution."""
        while i <= last:
            text = self.doc[i].text
            if text in _CLAUSE_END:
                return i + 1
            if text == ",":
                following = i + 1
                if following > last:
                    return following
                word = self.doc[following].lower_
                apposition = following in self.titles or (
                    word in self.lex.determiners and following + 1 in self.titles
                )
                if not (apposition or word in INCISE_CIRCUMSTANCES):
                    return following  # « Les données, a indiqué X, sont sauvegardées »
            i += 1
        return last + 1

    def _with_incise(
        self, marked: Marked, start: int, end: int, attribution: Attribution
    ) -> tuple[Quote, Attribution]:
        """A direct quote without its incise (tokens start..end-1), attributed by it."""
        pieces = [(marked.inner_start, self.doc[start].idx)]
        if end <= self._token_at(marked.inner_end - 1):  # the quote goes on after the incise
            pieces.append((self.doc[end].idx, marked.inner_end))
        quote = self._quote(marked, "direct", attribution)
        quote.text = INCISE_GAP.join(self.text[a:b].strip() for a, b in pieces)
        return quote, attribution

    def _window_before(self, open_token: int, previous_end: int) -> list[int]:
        tokens: list[int] = []
        i = open_token - 1
        while i >= 0 and len(tokens) < MAX_BEFORE_TOKENS:
            token = self.doc[i]
            if token.idx < previous_end or token.text in _CLAUSE_END or "\n" in token.text:
                break
            if token.text[:-1].isdigit() and token.text.endswith(".") and self._starts_sentence(i + 1):
                break  # "… von Microsoft 365. Moses erklärte": a number and its period as one token
            tokens.append(i)
            if token.is_sent_start:  # also where the tokenizer keeps the period: "Microsoft 365."
                break
            i -= 1
        return tokens[::-1]

    def _starts_sentence(self, i: int) -> bool:
        word = self.doc[i].text if i < len(self.doc) else ""
        return word[:1].isupper() and word.lower().rstrip(".") not in MONTHS

    def _window_after(self, close_token: int, next_open: int) -> list[int]:
        tokens: list[int] = []
        i = close_token + 1
        while i < len(self.doc) and len(tokens) < MAX_AFTER_TOKENS:
            token = self.doc[i]
            if token.idx >= next_open or "\n" in token.text:
                break
            tokens.append(i)
            if token.text in _CLAUSE_END:
                break
            i += 1
        return tokens

    def _direct_attribution(self, before: list[int], after: list[int], inner: str) -> Attribution | None:
        if after and (self.doc[after[0]].text == "," or inner[-1] in ",?!"):
            found = self._attribution_after(after)
            if found is not None:
                return found
        if before:
            return self._attribution_in(before, prefer_last=True)
        return None

    def _attribution_after(self, window: list[int]) -> Attribution | None:
        """ ", sagte Moses", ", so der CISO", ", he told Bloomberg", ", according to X"."""
        first = 1 if self.doc[window[0]].text == "," else 0
        for offset, i in enumerate(window[first:]):
            if (offset > MAX_CUE_DISTANCE or self.doc[i].text in (",", ":", ";") and offset) and not (
                self._noun_phrase_only(window[first], i)
            ):
                break
            according = self._according_at(i)
            if according is not None:
                mention = self._candidate(according[1], limit=window[-1] + 1)
                return Attribution(None, according[0], mention, None, window[0], window[-1])
            if self._is_cue(i):
                mention = self._speaker_of(i, window[first], window[-1] + 1)
                if mention is None and self.doc[i].lower_ == "so":
                    continue
                return Attribution(
                    self.doc[i],
                    self.doc[i].text,
                    mention,
                    self._medium(i, window[-1] + 1),
                    window[0],
                    window[-1],
                )
        return None

    def _noun_phrase_only(self, start: int, end: int) -> bool:
        """With a parse: tokens start..end-1 hold no verb, so a comma among them sets off an apposition
        (", Siobhan O'Rourke, general manager of the district, told Reuters") rather than ending the
        attribution."""
        return self.parsed and all(
            self.doc[k].pos_ not in ("VERB", "AUX") and k not in self.mark_tokens for k in range(start, end)
        )

    def _attribution_in(self, window: list[int], prefer_last: bool) -> Attribution | None:
        """A cue in a clause ("Moses erklärte gegenüber Bloomberg:"), with its speaker."""
        cue = self._find_cue(window, last=prefer_last)
        if cue is None:
            for i in window:
                according = self._according_at(i)
                if according is not None:
                    mention = self._candidate(according[1], limit=window[-1] + 1)
                    return Attribution(None, according[0], mention, None, window[0], window[-1])
            return None
        mention = self._speaker_of(cue, window[0], window[-1] + 1)
        return Attribution(
            self.doc[cue],
            self.doc[cue].text,
            mention,
            self._medium(cue, window[-1] + 1),
            window[0],
            window[-1],
        )

    def _partial_attribution(self, before: list[int], after: list[int], inside: int) -> Attribution | None:
        if before:
            found = self._attribution_in(before, prefer_last=True)
            if found is not None:
                return found
        if after:
            found = self._attribution_in(after, prefer_last=False)
            if found is not None and found.cue is not None and self._earlier_conjunct(found.cue, inside):
                return None
            return found
        return None

    def _earlier_conjunct(self, cue: Token, inside: int) -> bool:
        """With a parse: the quote (token `inside` it) belongs to an earlier verb coordinated with the cue,
        "rated the situation "…", its second-highest level, and urged operators": what the cue reports
        is its own clause, not the quote."""
        if not self.parsed or cue.dep_ != "conj" or inside >= len(self.doc):
            return False
        token = self.doc[inside]
        return token in cue.head.subtree and token not in cue.subtree

    def _is_name(self, marked: Marked, inner: str, before: list[int]) -> bool:
        """Scare quotes and names: "so-called "X"", a campaign "namens „Eagle“", "Midnight Blizzard"."""
        # "als"/"as" name things too, except after a cue: "bezeichnete den Angriff als „beispiellos“"
        marker = self.doc[before[-1]].lower_ if before else ""
        if marker in self.lex.reflexives:  # "a group that calls itself „Crimson Ledger“"
            return True
        if marker in self.lex.naming_markers and (
            marker not in ("als", "as") or self._find_cue(before) is None
        ):
            return True
        # Words with letters: "IT-Bedrohungslage 3 / Orange" is a level's two-word name.
        words = [w for w in inner.split() if any(c.isalpha() for c in w)]
        if len(words) > SHORT_QUOTE_WORDS:
            return False
        capitalised = all(w[:1].isupper() for w in words)
        after = self._token_at(marked.close_at) + 1
        if capitalised and self.lemmas and after < len(self.doc) and self.doc[after].pos_ == "NOUN":
            return True  # a name used as a modifier: its "Premium Partner" network
        # Capitalised words in quotes name things, unless a cue like "nannte", "called" stands before them.
        return capitalised and not any(self._cue_word(i) in self.lex.partial_cues for i in before)

    def _join_split(
        self, results: list[tuple[Quote, Attribution | None, Marked]]
    ) -> list[tuple[Quote, Attribution | None]]:
        """ "…", he said, "…" -> one quote: the attribution after the first part ends with a comma and is all
        that stands before the second."""
        joined: list[tuple[Quote, Attribution | None]] = []
        k = 0
        while k < len(results):
            quote, attribution, marked = results[k]
            if k + 1 < len(results) and quote.kind == "direct" and attribution and attribution.cue_text:
                second, second_attribution, second_marked = results[k + 1]
                between = self.text[marked.close_at + 1 : second_marked.open_at]
                if (
                    second.kind == "direct"
                    and (between.strip().startswith(",") or quote.text.endswith(","))
                    and between.strip().endswith(",")
                    and "\n" not in between
                    and second_attribution is not None
                    and second_attribution.cue is not None
                    and attribution.cue is not None
                    and second_attribution.cue.i == attribution.cue.i
                    and len(between) <= 120
                ):
                    quote.text = f"{quote.text} {second.text}"
                    quote.end = second.end
                    quote.sentence_end = max(quote.sentence_end, second.sentence_end)
                    joined.append((quote, attribution))
                    k += 2
                    continue
            joined.append((quote, attribution))
            k += 1
        return joined

    def _quote(self, marked: Marked, kind: str, attribution: Attribution | None) -> Quote:
        start, end = marked.inner_start, marked.inner_end
        first, last = self._token_at(start), self._token_at(end - 1)
        if attribution is not None:
            first, last = min(first, attribution.first), max(last, attribution.last)
        return Quote(
            text="\n".join(self.text[s:e] for s, e in marked.pieces),
            kind=kind,
            start=start,
            end=end,
            speaker=None,
            cue=attribution.cue_text if attribution else None,
            medium=attribution.medium if attribution else None,
            sentence_start=self.doc[first].sent.start_char,
            sentence_end=self.doc[last].sent.end_char,
            language=self.lang,
            confidence=0.0,
        )

    # --- indirect ---

    def _indirect(self, direct_ranges: list[tuple[int, int]]) -> list[tuple[Quote, Attribution | None]]:
        found: list[tuple[Quote, Attribution | None]] = []
        taken: list[tuple[int, int]] = list(direct_ranges)

        def add(first: int, last: int, attribution: Attribution, kind: str = "indirect") -> bool:
            while last > first and (self.doc[last].is_punct or self.doc[last].is_space):
                last -= 1
            while first < last and (self.doc[first].is_punct or self.doc[first].is_space):
                first += 1
            if last - first < 2:
                return False
            start, end = self.doc[first].idx, self.doc[last].idx + len(self.doc[last])
            if any(s < end and start < e for s, e in taken):
                return False
            taken.append((start, end))
            sent_first = min(first, attribution.first)
            sent_last = max(last, attribution.last)
            found.append(
                (
                    Quote(
                        text=self.text[start:end],
                        kind=kind,
                        start=start,
                        end=end,
                        speaker=None,
                        cue=attribution.cue_text,
                        medium=attribution.medium,
                        sentence_start=self.doc[sent_first].sent.start_char,
                        sentence_end=self.doc[sent_last].sent.end_char,
                        language=self.lang,
                        confidence=0.0,
                    ),
                    attribution,
                )
            )
            return True

        for sent in self.doc.sents:
            self._according_in(sent, add)
            if self.parsed:
                self._reported_parsed(sent, add)
            else:
                self._reported_patterns(sent, add)
        return found

    def _according_in(self, sent: Span, add) -> None:
        """ "Laut Microsoft …", "… according to X", "Microsoft zufolge …": the rest of the sentence."""
        first = sent.start  # past the closing mark and newline a sentencizer may put at a sentence start
        while first < sent.end and (self.doc[first].is_punct or self.doc[first].is_space):
            first += 1
        for i in range(first, sent.end):
            if i in self.quoted_tokens:
                continue
            according = self._according_at(i)
            if according is not None:
                cue_text, speaker_start = according
                first = max(first, self._paragraph_start(i))  # a headline the sentencizer ran in
                if SELF_REFERENCE & set(cue_text.lower().split()):  # "Nach eigenen Angaben betreut das …"
                    mention = self._subject_after_verb(speaker_start, sent.end)
                    attribution = Attribution(None, cue_text, mention, None, i, speaker_start - 1)
                    self._add_continued(sent, add(speaker_start, sent.end - 1, attribution), attribution, add)
                    return
                mention = (
                    self._candidate(speaker_start, limit=sent.end)
                    or self._article_noun(speaker_start, sent.end)
                    or self._according_member(speaker_start)
                )
                if mention is None and self.lang == "fr":
                    continue  # "selon le modèle", "selon les cas": French "selon" mostly names no source
                phrase_end = mention.end if mention else speaker_start + 1
                attribution = Attribution(None, cue_text, mention, None, i, phrase_end - 1)
                if i - first <= 1:
                    self._add_continued(sent, add(phrase_end, sent.end - 1, attribution), attribution, add)
                else:
                    add(first, i - 1, attribution)
                return
            if self.doc[i].lower_ in self.lex.according_after and i > first:
                mention = self._candidate_ending_at(i, first)
                if mention is None and i - first <= MAX_SPEAKER_DISTANCE:  # "Den Ermittlern zufolge"
                    add(i + 1, sent.end - 1, Attribution(None, self.doc[i].text, None, None, first, i))
                    return
                if mention is None:
                    continue
                attribution = Attribution(None, self.doc[i].text, mention, None, mention.start, i)
                # "Dem Dienstleister Kontovia zufolge nutzten die Täter …": the phrase opens the clause
                # when the verb follows it.
                opens_clause = mention.start - first <= 1 or (i + 1 < sent.end and self.doc[i + 1].is_lower)
                if opens_clause:
                    self._add_continued(sent, add(i + 1, sent.end - 1, attribution), attribution, add)
                else:
                    add(first, mention.start - 1, attribution)
                return

    def _add_continued(self, sent: Span, added: bool, attribution: Attribution, add) -> None:
        """German: Konjunktiv I sentences after "Laut X …" go on with X's report."""
        if added and not self.parsed and attribution.mention is not None:
            self._continue_reported(sent, attribution, add)

    def _article_noun(self, start: int, end: int) -> Mention | None:
        """ "Nach Angaben der Bank": the phrase took the article, the noun still needs it."""
        if start > 0 and self.doc[start - 1].lower_ in self.lex.determiners:
            found = self._candidate(start - 1, limit=end)
            return found if found is not None and found.kind != "named" else None
        return None

    def _subject_after_verb(self, verb: int, end: int) -> Mention | None:
        """The subject after a German finite verb in second position: "… betreut das Unternehmen …"."""
        for k in range(verb + 1, min(end, verb + 1 + MAX_SPEAKER_DISTANCE)):
            found = self._candidate(k, limit=end)
            if found is not None:
                return found
        return None

    def _reported_parsed(self, sent: Span, add) -> None:
        """English: a clausal complement of a cue verb, with the verb's subject."""
        for token in sent:
            if (
                token.i in self.quoted_tokens
                or token.idx < self.headline_end
                or not self._is_cue(token.i)
                or token.pos_ not in ("VERB", "AUX")
                or self._withheld(token)
            ):
                continue
            complement = self._complement_of(token)
            if complement is None:
                continue
            first, last = complement.left_edge.i, complement.right_edge.i
            last = next((k - 1 for k in range(token.i, last + 1) if "\n" in self.doc[k].text), last)
            if self.doc[first].lower_ in self.lex.complementizers:
                first += 1
            if any(i in self.mark_tokens for i in range(first, last + 1)):
                continue  # the attribution of a direct quote, not reported speech
            mention = self._speaker_of(token.i, sent.start, sent.end)
            attribution = Attribution(
                token, token.text, mention, self._medium(token.i, sent.end), token.i, token.i
            )
            add(first, last, attribution)

    def _complement_of(self, verb: Token) -> Token | None:
        """The reported clause: a clausal complement, or a that-clause the parser hung on the noun of "said in
        a statement that …"."""
        complement = next((c for c in verb.children if c.dep_ == "ccomp"), None)
        if complement is not None:
            return complement
        for prep in verb.children:
            if prep.dep_ != "prep":
                continue
            for noun in prep.children:
                for clause in noun.children:
                    marked = any(
                        c.dep_ == "mark" and c.lower_ in self.lex.complementizers for c in clause.children
                    )
                    if clause.dep_ in ("acl", "ccomp") and marked:
                        return clause
        return None

    def _withheld(self, verb: Token) -> bool:
        """ "did not say", "declined to say how much …": speech that was not given reports nothing."""
        if any(c.dep_ == "neg" for c in verb.children):
            return True
        return verb.dep_ == "xcomp" and verb.head.lemma_.lower() in self.lex.refusals

    def _reported_patterns(self, sent: Span, add) -> None:
        """German: "X sagte, dass …", "X sagte, man habe …", "…, sagte X.", "Wie X mitteilte, …" and
        Konjunktiv I continuations."""
        continuing = self._reported_after_as(sent, add)
        if continuing is not None:
            self._continue_reported(sent, continuing, add)
            return
        for cue in range(sent.start, sent.end):
            if cue in self.quoted_tokens or not self._is_cue(cue) or self.doc[cue].lower_ == "so":
                continue
            content_start = self._complement_start(cue, sent.end)
            if content_start is None:
                continue
            mention = self._speaker_of(cue, sent.start, content_start)
            attribution = Attribution(
                self.doc[cue], self.doc[cue].text, mention, self._medium(cue, content_start), sent.start, cue
            )
            end = self._clause_end(content_start, sent.end)
            if add(content_start, end - 1, attribution):
                continuing = attribution
            break
        else:
            self._reported_before_cue(sent, add)
            return
        self._continue_reported(sent, continuing, add)

    def _reported_after_as(self, sent: Span, add) -> Attribution | None:
        """ "Wie ein Sprecher mitteilte, wurden die Angreifer … bemerkt": a clause opened by "wie" whose verb
        (last, before the comma) is a cue reports the main clause after it, in any mood."""
        first = sent.start
        while first < sent.end and (self.doc[first].is_punct or self.doc[first].is_space):
            first += 1
        if first >= sent.end or self.doc[first].lower_ != "wie":
            return None
        comma = next((k for k in range(first + 2, sent.end) if self.doc[k].text == ","), None)
        if comma is None or comma + 1 >= sent.end or not self._is_cue(comma - 1):
            return None
        cue = comma - 1
        mention = self._speaker_of(cue, first + 1, cue)
        attribution = Attribution(
            self.doc[cue], self.doc[cue].text, mention, self._medium(first, cue), first, comma
        )
        return attribution if add(comma + 1, self._clause_end(comma + 1, sent.end) - 1, attribution) else None

    def _reported_before_cue(self, sent: Span, add) -> None:
        """ "Es gebe keine Hinweise auf einen Datenabfluss, sagte ein Sprecher." """
        for cue in range(sent.start + 3, min(sent.end, sent.start + 60)):
            if self.doc[cue - 1].text != "," or not self._is_cue(cue) or cue in self.quoted_tokens:
                continue
            if any(i in self.mark_tokens for i in range(sent.start, cue)):
                return
            mention = self._speaker_of(cue, cue, sent.end)
            hearsay = self.doc[cue].lower_ in self.lex.hearsay  # "…, hieß es": reported, maybe by no one
            if (mention is None and not hearsay) or sent.end - cue > MAX_AFTER_TOKENS:
                return
            attribution = Attribution(
                self.doc[cue], self.doc[cue].text, mention, self._medium(cue, sent.end), cue, sent.end - 1
            )
            if add(sent.start, cue - 2, attribution):
                self._continue_reported(sent, attribution, add)
            return

    def _continue_reported(self, sent: Span, attribution: Attribution | None, add) -> None:
        if attribution is None:
            return
        following = sent
        for _ in range(MAX_CONTINUATION_SENTENCES):
            if following.end >= len(self.doc):
                return
            following = self.doc[following.end].sent
            tokens = range(following.start, following.end)
            if self.text.count("\n", sent.end_char, following.start_char) > 2:
                return
            if any(i in self.mark_tokens for i in tokens) or any(self._reports(i, following) for i in tokens):
                return
            if not self._subjunctive(following.start, following.end):
                return
            continued = Attribution(
                attribution.cue,
                attribution.cue_text,
                attribution.mention,
                None,
                following.start,
                following.end - 1,
                continued=True,
            )
            if not add(following.start, following.end - 1, continued):
                return

    def _reports(self, i: int, sent: Span) -> bool:
        """Whether a German cue word introduces speech of its own ("…, sagte er", "Er sagte, dass …"),
        unlike "lasse sich noch nicht sagen" inside a continued passage."""
        if not self._is_cue(i):
            return False
        if self._complement_start(i, sent.end) is not None:
            return True
        if self.doc[i - 1].text != ",":
            return False
        return self.doc[i].lower_ in self.lex.hearsay or self._speaker_of(i, i, sent.end) is not None

    def _complement_start(self, cue: int, end: int) -> int | None:
        """Where the reported clause after a German cue verb starts: after ", dass", at ", wie", after ", "
        before a clause in the subjunctive, after ":" before one; after a French "que" right after the
        cue ("a précisé que …"), which takes no comma."""
        if self.lang == "fr" and cue + 2 < end and self.doc[cue + 1].lower_ in FRENCH_THAT:
            return cue + 2
        for i in range(cue + 1, min(end, cue + MAX_COMPLEMENT_DISTANCE)):
            text = self.doc[i].text
            if i in self.mark_tokens or text in _CLAUSE_END:
                return None
            if text not in (",", ":"):
                continue
            if i + 1 >= end:
                return None
            following = self.doc[i + 1].lower_
            if text == "," and following == "dass":
                return i + 2
            if text == "," and following in self.lex.complementizers:
                return i + 1
            if self._subjunctive(i + 1, self._clause_end(i + 1, end)):
                return i + 1
            return None
        return None

    def _subjunctive(self, start: int, end: int) -> bool:
        """A Konjunktiv I or II form: listed ones, or "-e" right after man/er/sie/es ("man beobachte")."""
        for j in range(start, end):
            word = self.doc[j].lower_
            if word in self.lex.subjunctive:
                return True
            after_subject = j > start and self.doc[j - 1].lower_ in ("man", "er", "sie", "es")
            if after_subject and word.endswith("e") and self.doc[j].is_lower and len(word) > 3:
                return True
        return False

    def _clause_end(self, start: int, end: int) -> int:
        """The reported content runs to the sentence end or to a quotation mark."""
        for i in range(start, end):
            if i in self.mark_tokens:
                return i
        return end

    # --- speakers ---

    def _is_cue(self, i: int) -> bool:
        token = self.doc[i]
        if self.lang == "fr" and i > 0 and self.doc[i - 1].lower_ in self.lex.determiners:
            return False  # "l'annonce", "le juge", "le résumé": French cue words that are nouns too
        lemma = token.lower_ if self.lang != "en" else self._cue_lemma(token)
        if lemma not in self.lex.cues:
            if token.is_lower and lemma in self.lex.joined_cues:  # "wie ein Sprecher mitteilte"
                return True
            return lemma in self.lex.particles and self._particle_ends_clause(i, self.lex.particles[lemma])
        if self.lang == "en" and self.lemmas and token.pos_ not in ("VERB", "AUX"):
            return False
        if lemma == "point":
            return any(c.lower_ == "out" for c in token.children) or (
                i + 1 < len(self.doc) and self.doc[i + 1].lower_ == "out"
            )
        return True

    def _particle_ends_clause(self, verb: int, particles: frozenset[str]) -> bool:
        """ "teilte das Unternehmen am Dienstag mit", "wies darauf hin, dass": the separated particle is the
        last word of the verb's clause."""
        for j in range(verb + 1, min(len(self.doc), verb + MAX_PARTICLE_DISTANCE) + 1):
            end = j == len(self.doc) or self.doc[j].text in _INNER_CLAUSE_END or j in self.mark_tokens
            if end or "\n" in self.doc[j].text:
                return j - 1 > verb and self.doc[j - 1].lower_ in particles
        return False

    def _cue_word(self, i: int) -> str | None:
        token = self.doc[i]
        return token.lower_ if self.lang != "en" else self._cue_lemma(token)

    def _cue_lemma(self, token: Token) -> str | None:
        """The English lemma; without a lemmatizer, the form with a regular inflection stripped."""
        if self.lemmas:
            return token.lemma_.lower()
        word = token.lower_
        if word in IRREGULAR_CUES:
            return IRREGULAR_CUES[word]
        stems = [word] + [word[: -len(s)] + r for s, r in INFLECTIONS if word.endswith(s)]
        return next((stem for stem in stems if stem in self.lex.cues), None)

    def _find_cue(self, window: list[int], last: bool = True) -> int | None:
        order = reversed(window) if last else iter(window)
        for i in order:
            if i not in self.quoted_tokens and self._is_cue(i) and self.doc[i].lower_ != "so":
                return i
        return None

    def _according_at(self, i: int) -> tuple[str, int] | None:
        """ "according to", "laut", "nach Angaben von" at token i: (the phrase as written, speaker start)."""
        for sequence in self.lex.according_to:
            end = i + len(sequence)
            if end <= len(self.doc) and all(self.doc[i + k].lower_ == w for k, w in enumerate(sequence)):
                return self.doc[i:end].text, end
        return None

    def _speaker_of(self, cue: int, start: int, end: int) -> Mention | None:
        """The subject of a cue verb: from the parse, else right after it, else the first one before it."""
        if self.parsed:
            start = max(
                start, self._paragraph_start(cue)
            )  # a headline run into the first sentence: no subject
            verb = self.doc[cue]
            while not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children) and verb.dep_ == "conj":
                verb = verb.head
            # A model that does not split sentences at paragraph breaks may find the subject in a headline.
            subjects = [c for c in verb.children if c.dep_ == "nsubj" and c.i >= start]
            for subject in subjects:  # "the company's head of security, Omar Haddad, told"
                apposition = next((c for c in subject.children if c.dep_ == "appos"), None)
                if apposition is not None:
                    first = max(apposition.left_edge.i, start)
                    found = self._candidate(first, limit=apposition.i + 1, head=apposition.i)
                    if found is not None and found.kind == "named":
                        return found
            for subject in reversed(subjects):  # the nearest first: "co", "-", "maintainer" are all subjects
                found = self._named_member_of(subject) if _is_common_noun(subject) else None
                if found is None:
                    found = self._candidate(
                        max(subject.left_edge.i, start), limit=subject.i + 1, head=subject.i
                    )
                if found is not None:
                    return found
            if subjects and self.lang == "en":
                return None
        if self.doc[cue].lower_ in self.lex.hearsay:
            return self._hearsay_source(cue, end)
        if self._impersonal(cue):
            return None
        if not self.parsed:
            subject = self._fronted_subject(start, cue)
            if subject is not None:
                return subject
        plural = self.doc[cue].lower_.endswith("en")
        i = cue + 1
        while i < min(end, cue + 1 + MAX_SPEAKER_DISTANCE):
            token = self.doc[i]
            if token.is_punct or i in self.mark_tokens:
                break
            medium_end = self._medium_marker_end(i)
            if medium_end is not None:
                i = self._skip_name(medium_end)
                continue
            found = self._candidate(i, limit=end, plural=plural)
            if found is not None and self.parsed and self._addressee_of(found, cue):
                i = found.end  # "… ," chief executive Simon Marsh told the Financial Times."
                continue
            if found is not None:
                return found
            i += 1
        best: Mention | None = None
        i = start
        while i < cue:
            if i in self.quoted_tokens:
                i += 1
                continue
            medium_end = self._medium_marker_end(i)
            if medium_end is not None:
                i = self._skip_name(medium_end)
                continue
            found = None
            if self.parsed and _is_common_noun(self.doc[i]):  # "Maintainers of Pyxis" outside the parse
                found = self._named_member_of(self.doc[i])
            found = found or self._candidate(i, limit=cue, plural=plural)
            if found is not None:
                if found.label == PERSON and found.kind == "named":
                    return found
                if best is None or (best.label == GROUP and best.kind == "named" and found.label == PERSON):
                    best = found
                i = found.end
                continue
            i += 1
        return best

    def _impersonal(self, cue: int) -> bool:
        """French attributions that name no one: "a-t-il été précisé", "il a été indiqué", "indique-t-on"."""
        if self.lang != "fr":
            return False
        before = self.doc[cue - 1].lower_ if cue > 0 else ""
        after = [t.lower_ for t in self.doc[cue + 1 : cue + 3]]
        return before == "été" or "-on" in after or (after[:1] == ["on"])

    def _hearsay_source(self, cue: int, end: int) -> Mention | None:
        """ "hieß es aus Ermittlerkreisen", "hieß es in einer Mitteilung des Konzerns": the source after a
        marker; plain "hieß es" has no speaker."""
        for k in range(cue + 1, min(end, cue + MAX_SOURCE_DISTANCE)):
            if self.doc[k].is_punct or k in self.mark_tokens:
                return None
            if self.doc[k].lower_ in self.lex.source_markers:
                found = self._candidate(k + 1, limit=end) or self._article_noun(k + 2, end)
                if found is not None:
                    return found
        return None

    def _fronted_subject(self, start: int, cue: int) -> Mention | None:
        """German V2: a speaker phrase opening the clause right before the finite cue verb is its subject
        ("Der Vizepräsident für Digitalisierung, Emre Kalaycıoğlu, sagte der Rheinischen Post"), so a
        dative after the verb is not. A name between commas before the verb is the phrase's apposition."""
        while start < cue and (self.doc[start].is_punct or start in self.mark_tokens):
            start += 1
        found = self._candidate(start, limit=cue)
        if found is None or found.start != start:
            return None
        commas = [k for k in range(found.end, cue) if self.doc[k].text == ","]
        if not commas:
            return found
        if len(commas) == 2 and commas[1] == cue - 1:
            for k in range(commas[0] + 1, commas[1]):  # past an honorific: ", Dr. Sabine Krüger,"
                named = self._candidate(k, limit=commas[1])
                if named is not None and named.kind == "named" and named.label == PERSON:
                    return named
            return found
        return None

    def _addressee_of(self, mention: Mention, cue: int) -> bool:
        """Whether the phrase is the object of the cue verb (whom it was told), not its subject."""
        head = self.doc[mention.end - 1]
        return head.head.i == cue and head.dep_ in ("dobj", "dative")

    def _according_member(self, speaker_start: int) -> Mention | None:
        """ "according to researchers at Quartz Threat Labs", "according to a report by Vantage Point"."""
        if not self.parsed or speaker_start < 1:
            return None
        head = next((c for c in self.doc[speaker_start - 1].children if c.dep_ == "pobj"), None)
        return self._named_member_of(head) if head is not None and _is_common_noun(head) else None

    def _paragraph_start(self, i: int) -> int:
        """The first token of the paragraph holding token i."""
        newline = self.text.rfind("\n", 0, self.doc[i].idx)
        return self._token_at(newline + 1) if newline >= 0 else 0

    def _named_member_of(self, head: Token) -> Mention | None:
        """People named by their organisation ("maintainers of Pyxis", "researchers at Quartz Threat Labs",
        "a report published by Vantage Point Research"): the first organisation, or name, in the phrase
        the head noun governs through of/at/from/by."""
        if not self.parsed or head.i in self.titles or head.i in self.ent_at:
            return None
        frontier = [head]
        for _ in range(MAX_MEMBER_DEPTH):
            following = []
            for token in frontier:
                for child in token.children:
                    if child.dep_ in ("acl", "relcl"):  # "a report published by …"
                        following.append(child)
                    if child.dep_ not in ("prep", "agent") or child.lower_ not in MEMBER_PREPOSITIONS:
                        continue
                    for obj in child.children:
                        if obj.dep_ == "pobj" and obj.i not in self.quoted_tokens:
                            found = self._organisation_at(obj)
                            if found is not None:
                                return found
                            following.append(obj)
            frontier = following
        return None

    def _organisation_at(self, token: Token) -> Mention | None:
        """The organisation a noun phrase's head names: an ORG (or product, place) entity or a proper noun."""
        ent = self.ent_at.get(token.i)
        if ent is not None:
            if ent.label_ in (GROUP, *SPEAKING_AS_GROUP):
                return Mention("named", ent.start, ent.end, GROUP, _entity_speaker(ent))
            return None
        if token.pos_ != "PROPN":
            return None
        first = token.left_edge.i
        while first < token.i and self.doc[first].pos_ != "PROPN":
            first += 1
        written = self.doc[first : token.i + 1].text
        return Mention("named", first, token.i + 1, GROUP, Speaker(written, written, None))

    def _candidate(self, i: int, limit: int, head: int | None = None, plural: bool = False) -> Mention | None:
        """A speaker phrase starting at token i: an entity, a pronoun, a role noun phrase, a bare name."""
        if i >= limit or i >= len(self.doc):
            return None
        doc, lex = self.doc, self.lex
        token = doc[i]
        head_ent = self.ent_at.get(head) if head is not None else None
        if head_ent is not None and head_ent.label_ == PERSON:  # "Microsoft's chief Sherrod DeGrippo"
            return Mention("named", head_ent.start, head_ent.end, PERSON, _entity_speaker(head_ent))
        # "Laut dem Landeskriminalamt Baden-Württemberg"; "the Microsoft spokesperson" is a role noun phrase.
        after_article = self.ent_at.get(i + 1) if head is None and token.lower_ in lex.determiners else None
        if (
            after_article is not None
            and after_article.start == i + 1
            and after_article.label_ in (PERSON, GROUP)
            and after_article.end <= limit
            and after_article.end not in self.titles
        ):
            return Mention(
                "named", i, after_article.end, after_article.label_, _entity_speaker(after_article)
            )
        first = i  # past determiners: "The Open Source Security Foundation said"
        while head_ent is not None and first < head_ent.start and doc[first].lower_ in lex.determiners:
            first += 1
        # A name heading the subject phrase after descriptive words: "Regional carrier Skyhaven confirmed".
        # So does an organisation's name holding the head after its country's possessive: "Germany's Federal
        # Office for Information Security (BSI) urged" is the office speaking, not Germany.
        heads_phrase = (
            head_ent is not None and self.parsed and (head == head_ent.end - 1 or self._owned(head_ent))
        )
        # Also when tagged as a product or place, the subject of "said" speaks for an organisation.
        speaks_as_group = head_ent is not None and head_ent.label_ in (GROUP, *SPEAKING_AS_GROUP)
        if speaks_as_group and (head_ent.start == first or heads_phrase):
            return Mention("named", head_ent.start, head_ent.end, GROUP, _entity_speaker(head_ent))
        ent = self.ent_at.get(i)
        if ent is not None and ent.start == i and ent.label_ in (GROUP, *SPEAKING_AS_GROUP):
            title = self.titles.get(ent.end)
            if title is not None:  # "a Microsoft spokesperson", also when "GitHub" was tagged a product
                named = self._candidate(title.end, limit) if title.end < limit else None
                if named is not None and named.kind == "named" and named.label == PERSON:
                    # "Baden-Württembergs Innenministerin Karin Hoffmann"
                    return Mention("named", i, named.end, PERSON, named.speaker, role=title.role)
                return self._role(i, title, employer=_entity_speaker(ent).canonical)
        if ent is not None and ent.start == i and ent.label_ in (PERSON, GROUP):
            return Mention("named", ent.start, ent.end, ent.label_, _entity_speaker(ent))
        if token.lower_ in lex.person_pronouns:
            label = GROUP if plural or (self.lang == "en" and token.lower_ == "they") else PERSON
            return Mention("pronoun", i, i + 1, label)
        if token.lower_ in lex.group_pronouns:
            return Mention("pronoun", i, i + 1, GROUP)
        j = i  # past a determiner and adjectives: "der zuständige Sprecher", "the company"
        while j < min(limit, i + 4) and j not in self.titles and self._group_noun(j) is None:
            # Determiners, adjectives, and capitalised words of a title: "Deputy Minister Farida Nazarova"
            title_word = (
                doc[j].is_title
                and doc[j].is_alpha
                and j not in self.ent_at
                and (j + 1 in self.titles or j + 2 in self.titles)
            )
            if not (
                doc[j].lower_ in lex.determiners
                or (j > i and doc[j].is_lower and doc[j].is_alpha)
                or title_word
            ):
                break
            j += 1
        if j < limit:
            if j in self.titles:
                title = self.titles[j]
                named = self._candidate(title.end, limit) if title.end < limit else None
                if named is not None and named.kind == "named" and named.label == PERSON:  # "CISO CJ Moses"
                    return Mention("named", i, named.end, PERSON, named.speaker, role=title.role)
                return self._role(i, title, employer=title.prefix)
            owner = self.ent_at.get(j)
            owner_speaks = owner is not None and owner.label_ in (GROUP, *SPEAKING_AS_GROUP)
            if owner_speaks and owner.start == j and owner.end in self.titles:
                return self._role(i, self.titles[owner.end], employer=_entity_speaker(owner).canonical)
            if self._group_noun(j) is not None and (j > i or head is not None):
                return Mention("pronoun", i, j + 1, GROUP)
        return self._bare_name(i, limit, head)

    def _role(self, start: int, title: Title, employer: str | None) -> Mention:
        end = title.end
        if employer is None:  # "der Sprecher von Microsoft", "a spokesperson for Amazon"
            for j in range(title.end, min(title.end + 4, len(self.doc))):
                ent = self.ent_at.get(j)
                if ent is not None and ent.label_ == GROUP:
                    employer, end = _entity_speaker(ent).canonical, ent.end
                    break
                if self.doc[j - 1].lower_ in LOCATIVE or (ent is not None and ent.label_ == "LOC"):
                    break  # "a security researcher in Singapore"
                if self._medium_marker_end(j) is not None:
                    break  # "ein Sprecher auf Anfrage"
                noun = self._group_noun(j)
                if noun is not None and self.doc[j - 1].lower_ in self.lex.determiners:
                    # "ein Sprecher des Unternehmens", "der Behörde": the organisation in focus
                    target = self._most_recent(start, GROUP, noun)
                    employer, end = (target.canonical if target else None), j + 1
                    break
                after_article = self.doc[j - 1].lower_ in self.lex.determiners  # "des Autobauers": a noun
                if (
                    j > title.end
                    and _looks_like_name(self.doc[j])
                    and self.doc[j - 1].is_lower
                    and not after_article
                ):
                    name_end = j  # "ein Sprecher von Palisade", an organisation no entity covers
                    while name_end < len(self.doc) and _looks_like_name(self.doc[name_end]):
                        name_end += 1
                    employer, end = self.doc[j:name_end].text, name_end
                    break
                if (
                    not (self.doc[j].is_lower or self.doc[j].is_punct or after_article)
                    or self.doc[j].text == ","
                ):
                    break
                if self.parsed and self.doc[j].pos_ in ("VERB", "AUX"):
                    break  # "A Corvex spokesman told The Record": whom it was told
        return Mention("role", start, end, PERSON, None, role=title.role, employer=employer)

    def _owned(self, ent: Span) -> bool:
        """An organisation right after a place's possessive: "Germany's Federal Office …"."""
        owner = ent.start - 2
        return (
            ent.label_ == GROUP
            and owner >= 0
            and self.doc[ent.start - 1].text in POSSESSIVES
            and (owner_ent := self.ent_at.get(owner)) is not None
            and owner_ent.label_ == "LOC"
        )

    def _bare_name(self, i: int, limit: int, head: int | None) -> Mention | None:
        """A name no entity covers: English proper nouns; German capitalised words without an article, only
        in a Doc where NER found no person (blank pipelines)."""
        doc = self.doc
        if self.lang == "en" and self.lemmas:
            anchor = head if head is not None else i
            if doc[anchor].pos_ != "PROPN" or anchor in self.ent_at:
                return None
            first = anchor
            while first > 0 and doc[first - 1].pos_ == "PROPN" and first - 1 not in self.ent_at:
                first -= 1
            last = anchor + 1
            while head is None and last < limit and doc[last].pos_ == "PROPN" and last not in self.ent_at:
                last += 1
        else:
            if self.has_people or not _looks_like_name(doc[i]) or doc[i].lower_ in self.lex.cues:
                return None
            if i in self.ent_at or i in self.quoted_tokens:
                return None
            if i > 0 and doc[i - 1].lower_ in self.lex.determiners:
                return None
            first, last = i, i + 1
            while last < min(limit, i + 3) and _looks_like_name(doc[last]) and not self._is_cue(last):
                last += 1
            if doc[first].is_sent_start and last - first == 3:
                first += 1  # "Verbraucherschützerin Lena Hoffmann": a noun opening the sentence
            if any(self.role_words.word_role(t.text) for t in doc[first:last]):
                return None
            after_title = first > 0 and (
                doc[first - 1].lower_ in self.role_words.honorifics or (first - 1) in self.title_ends
            )
            next_to_cue = (first > 0 and self._is_cue(first - 1)) or (last < len(doc) and self._is_cue(last))
            written = doc[first:last].text
            # Nouns are capitalised too: a name stands next to the cue verb or after a title, or is the
            # surname of a full name in the Doc.
            if not (next_to_cue or after_title) and (" " in written or self._full_name(written) == written):
                return None
        written = doc[first:last].text
        tagged = self.tagged_names.get(written) if self.parsed else None
        if tagged is not None:  # "Corvex said": the name NER tagged elsewhere in the Doc
            return Mention(
                "named", first, last, tagged.label_, replace(_entity_speaker(tagged), text=written)
            )
        canonical = self._full_name(written) if " " not in written else written
        # "Telecom operator Bluewave", "the maker Quillon": a name after an organisation noun is one.
        after_group_noun = self.parsed and first > 0 and doc[first - 1].lower_ in self.lex.group_nouns
        label = GROUP if after_group_noun else PERSON
        return Mention("named", first, last, label, Speaker(written, canonical, None))

    def _full_name(self, written: str) -> str:
        """ "Moses" -> "CJ Moses": a PER canonical or a run of capitalised words ending with the name."""
        for _, label, speaker, _ in self.mentions:
            if label == PERSON and speaker.canonical and speaker.canonical.endswith(" " + written):
                return speaker.canonical
        for match in re.finditer(r"\b[A-ZÄÖÜ][\w.'’-]*\s" + re.escape(written) + r"\b", self.text):
            first = match.group().split()[0]
            if first.lower() not in self.lex.determiners and self.role_words.word_role(first) is None:
                return match.group()
        return written

    def _candidate_ending_at(self, end: int, start: int) -> Mention | None:
        """The speaker phrase right before "zufolge": "Microsoft zufolge", "dem Unternehmen zufolge"."""
        for i in range(max(start, end - 5), end):  # the longest: "Einem Sprecher des Autobauers Velmora"
            found = self._candidate(i, limit=end)
            if found is not None and found.end == end:
                return found
        return None

    def _medium_marker_end(self, i: int) -> int | None:
        for marker in self.lex.medium_markers:
            end = i + len(marker)
            if end <= len(self.doc) and all(self.doc[i + k].lower_ == w for k, w in enumerate(marker)):
                return end
        return None

    def _skip_name(self, i: int) -> int:
        while i < len(self.doc) and self.doc[i].lower_ in self.lex.determiners:
            i += 1
        ent = self.ent_at.get(i)
        if ent is not None:
            return ent.end
        while i < len(self.doc) and _looks_like_name(self.doc[i]):
            i += 1
        return i

    def _medium(self, cue: int, end: int) -> str | None:
        """Whom it was said to: "told Bloomberg", "gegenüber Bloomberg", "in an interview with Wired"."""
        for i in range(cue, min(end, cue + MAX_SPEAKER_DISTANCE + 2)):
            if i in self.mark_tokens:
                return None
            marker_end = self._medium_marker_end(i)
            if marker_end is None:
                continue
            if len(self.doc[i:marker_end]) == 1 and self.doc[i].lower_ in ("to", "on") and i != cue + 1:
                continue  # "said to Reuters", but not every "to"
            j = marker_end
            while j < end and self.doc[j].lower_ in self.lex.determiners:
                j += 1
            ent = self.ent_at.get(j)
            if ent is not None and ent.start == j and ent.label_ not in ("LOC",):
                self.media.add(ent.start)
                return ent._.canonical or ent.text
            name_end = j
            while name_end < end and _looks_like_name(self.doc[name_end]) and not self._is_cue(name_end):
                name_end += 1
            if name_end > j:
                return self.doc[j:name_end].text
        return None

    def _remember(self, mention: Mention, speaker: Speaker) -> None:
        """A resolved pronoun or role noun is the latest mention of its speaker: "a spokeswoman said …
        She said …" refers on through it."""
        label = PERSON if mention.kind == "role" else mention.label
        # An organisation noun is kept in the role slot: "the agency" is no antecedent of "the company".
        noun = self.doc[mention.end - 1].lower_ if mention.end - mention.start > 1 else None
        role = mention.role if mention.kind == "role" else noun
        at = bisect_right([m[0] for m in self.mentions], mention.start)
        self.mentions.insert(at, (mention.start, label, speaker, role))
        self.remembered.add(mention.start)

    def _resolve(self, mention: Mention, content: tuple[int, int] = (0, 0)) -> Speaker | None:
        if mention.kind == "named":
            return mention.speaker
        text = self.doc[mention.start : mention.end].text
        if mention.kind == "role":
            family = next((f for f in ROLE_FAMILIES if mention.role in f), {mention.role})
            paragraph = self._paragraph_start(mention.start)
            for start, label, speaker, role in reversed(self.mentions):
                if not self.parsed and start in self.remembered and self._paragraph_start(start) != paragraph:
                    continue  # German "so der Sprecher": an unnamed spokesperson of this paragraph only
                same_employer = mention.employer is None or _same_org(speaker, mention.employer, self.doc)
                if start < mention.start and label == PERSON and role in family and same_employer:
                    return Speaker(text, speaker.canonical, speaker.kb_id)
            later = self._named_later(mention)
            if later is not None:
                return Speaker(text, later.canonical, later.kb_id)
            if mention.employer:
                return Speaker(text, mention.employer, None)
            if mention.role in ORGANISATION_VOICES and (self.parsed or self._company_compound(mention)):
                # "a spokeswoman said", "ein Unternehmenssprecher": for the organisation in focus
                target = self._most_recent(mention.start, GROUP, content=content)
                return Speaker(text, target.canonical, target.kb_id) if target else None
            return None
        noun = self.doc[mention.end - 1].lower_ if mention.end - mention.start > 1 else None
        gender = self._pronoun_gender(text.lower())
        target = self._most_recent(mention.start, mention.label, noun, gender, content)
        return Speaker(text, target.canonical, target.kb_id) if target else None

    def _company_compound(self, mention: Mention) -> bool:
        """German "ein Sprecher", "Unternehmenssprecher", "Konzernsprecherin": a plain role word or a compound
        whose first part is an organisation noun speaks for the organisation in focus (not "IT-Sprecher", a
        department's)."""
        word = self.doc[mention.end - 1].lower_
        if word in self.role_words.compound_heads:  # "ein Sprecher"; "der Sprecher" refers back instead
            return self.doc[mention.start].lower_ in INDEFINITE
        return any(word.startswith(noun) and len(word) > len(noun) + 3 for noun in self.lex.group_nouns)

    def _group_noun(self, i: int) -> str | None:
        """An organisation noun, also in the genitive: "Unternehmen", "des Unternehmens", "des Konzerns"."""
        word = self.doc[i].lower_
        for form in (word, word[:-1], word[:-2]) if self.lang == "de" else (word,):
            if form in self.lex.group_nouns and (form == word or word.endswith("s")):
                return form
        return None

    def _named_later(self, mention: Mention) -> Speaker | None:
        """ "A security researcher in Singapore said … The researcher, Nguyen Thi Lan, said …": an
        indefinite role noun names its person in a following sentence, as "the <noun>, <name>"."""
        if self.doc[mention.start].lower_ not in INDEFINITE:
            return None
        noun = self.doc[mention.end - 1].lower_
        sentence = self.doc[mention.start].sent
        last = sentence.end
        for _ in range(MAX_CATAPHORA_SENTENCES):
            if last < len(self.doc):
                last = self.doc[last].sent.end
        for k in range(mention.end, min(last, len(self.doc) - 1)):
            if self.doc[k].lower_ != noun or self.doc[k - 1].lower_ not in DEFINITE:
                continue
            j = k + 1 if self.doc[k + 1].text != "," else k + 2
            ent = self.ent_at.get(j)
            if ent is not None and ent.start == j and ent.label_ == PERSON:
                return _entity_speaker(ent)
        return None

    def _most_recent(
        self,
        before: int,
        label: str,
        noun: str | None = None,
        gender: str | None = None,
        content: tuple[int, int] = (0, 0),
    ) -> Speaker | None:
        """The first mention of `label` in the latest sentence (of a paragraph) that has one before token
        `before`; outlets spoken to are not candidates. With a noun ("the bank", "the agency"), the latest
        organisation whose name ends in it comes first ("Northgate Bank")."""
        latest: tuple[int, Speaker] | None = None
        named_by_noun: Speaker | None = None
        for start, mention_label, speaker, role in self.mentions:
            if start >= before:
                break
            if mention_label != label or (gender and self._other_gender(speaker, gender)):
                continue
            if content[0] <= start < content[1] or start in self.datelines:  # the quote's words; an outlet
                continue
            sentence = self.doc[start].sent.start
            if self.parsed:  # English only so far (dev2); the German pipeline keeps the earlier behaviour
                if start in self.media or (label == GROUP and role not in (None, noun) and noun is not None):
                    continue
                if noun and (speaker.canonical or "").lower().endswith(" " + noun):
                    named_by_noun = speaker
                sentence = max(sentence, self._paragraph_start(start))
            elif (
                noun
                and mention_label == GROUP
                and any(w.endswith(noun) for w in (speaker.canonical or "").lower().split())
            ):  # German compounds: "die Bank" -> "Mainfurter Volksbank", "die Hochschule" -> "Hochschule …"
                named_by_noun = speaker
            if latest is None or sentence != latest[0]:
                latest = (sentence, speaker)
        if named_by_noun is not None:
            return named_by_noun
        return latest[1] if latest else None

    def _pronoun_gender(self, pronoun: str | None) -> str | None:
        """The sex a pronoun names: English (he/she) and French (il/elle); German "sie" may be "they"."""
        if self.parsed:
            return PRONOUN_GENDERS.get(pronoun)
        return FRENCH_PRONOUN_GENDERS.get(pronoun) if self.lang == "fr" else None

    def _other_gender(self, speaker: Speaker, gender: str) -> bool:
        """ "she" after "Simon Marsh": a first name of the other sex rules the person out."""
        first = (speaker.canonical or speaker.text).split()[0]
        return self.given_names.gender(first) in ({FEMALE, MALE} - {gender})

    def _token_at(self, char: int) -> int:
        return max(0, bisect_right(self.starts, char) - 1)


def _entity_speaker(ent: Span) -> Speaker:
    return Speaker(ent.text, ent._.canonical or ent.text, ent._.kb_id)


def _same_org(person: Speaker, employer: str, doc: Doc) -> bool:
    """Whether the person works for `employer`, as far as the roles component found out."""
    for ent in doc.ents:
        if ent.label_ == PERSON and (ent._.canonical or ent.text) == person.canonical:
            return ent._.employer in (None, employer)
    return True


def _headline_end(text: str) -> int:
    """Where a headline ends: a first line without closing punctuation, followed by more text. A parser
    that does not split sentences at line breaks runs it into the first sentence, so its verbs are no cues
    ("Insurer says member data stolen\n\nHalvard Mutual said …")."""
    first_line, newline, rest = text.partition("\n")
    line = first_line.strip()
    if not newline or not rest.strip() or not line or line[-1] in ".!?:;\"”“»«'’":
        return 0
    return len(first_line)


def _is_common_noun(token: Token) -> bool:
    """A noun naming people or things, also when capitalised at a sentence start ("Maintainers of Pyxis")."""
    return token.pos_ == "NOUN" or token.tag_ == "NNPS"


def _looks_like_name(token: Token) -> bool:
    return token.text[:1].isupper() and (token.is_alpha or "-" in token.text)
