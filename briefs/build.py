"""One incident's articles and their stored analyses become a `Brief`.

Only original reports feed the summary, the timeline and the corroboration count: a syndicated copy
repeats its original and is listed as a source, not counted as a second witness. Quotes keep copies as
further sources of the same words.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import numpy as np

from incident_brief.briefs import timeline as timex
from incident_brief.briefs.model import (
    ActorFact,
    Alias,
    Brief,
    Confidence,
    ConflictingValue,
    Contradiction,
    Control,
    EntityFact,
    Evidence,
    KeyFacts,
    MoneyFact,
    Party,
    Person,
    PersonFact,
    QuoteGroup,
    QuoteReport,
    RequirementEntry,
    Source,
    SummarySentence,
    TimelineEntry,
)
from incident_brief.briefs.summarize import Candidate, extractive_summary
from incident_brief.briefs.text import clean_text
from incident_brief.briefs.vectors import ArticleSentences, SentenceIndex
from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.nlp.labels import has_legal_form

SAME_QUOTE = 0.75  # cosine of the sentences carrying two quotes of one speaker: the same statement
SAME_REQUIREMENT = 0.8
SAME_IN_TRANSLATION = 0.62  # the same speaker's words in two languages (USE scores translations lower)
SAME_WHOEVER_SAID_IT = 0.88  # so close that a different or missing speaker is the analysis's doing
SAME_EVENT = 0.6  # two dated sentences about one event: merged when the dates agree
SAME_FACT = 0.75  # two sentences stating one fact: a contradiction when their dates or figures differ
CORROBORATED = 0.6  # another independent report has a sentence at least this close
MAX_FACTS = 12  # per key-fact list: the most reported ones
MAX_TIMELINE = 12  # dated events: the most reported ones, shown in time order
MAX_QUOTES = 15
MAX_REQUIREMENTS = 12  # the demands most outlets carried, attributed ones first (`export requirements`: all)
ACRONYM = re.compile(r"[A-ZÄÖÜ][A-ZÄÖÜ0-9&\-]{1,9}")  # "CISA", "BSI", "RNK-IT"
# words of organisation names that say what kind of body they are, not which one
ORG_KIND_WORDS = {
    "office", "agency", "bureau", "federal", "national", "state", "police", "ministry", "department",
    "council", "service", "services", "security", "information", "institute", "centre", "center",
    "authority", "amt", "bundesamt", "landesamt", "behörde", "ministerium", "polizei", "agentur", "agence",
    "nationale",
}  # fmt: skip
NAME_KINDS = ("org", "product", "person")  # key-fact kinds reports may disagree on for one name
MIN_QUOTE_WORDS = 4  # "for weeks," is a fragment, not a statement worth a row
_PRECISION_RANK = {
    p: i
    for i, p in enumerate(
        (
            "day",
            "part of day",
            "hour",
            "minute",
            "week",
            "month",
            "season",
            "quarter",
            "half-year",
            "year",
            "decade",
        )
    )
}
_STATEMENT_END = re.compile(r"[.!?…][\"'“”«»‘’)]*\s*$")


class Rewriter(Protocol):
    name: str

    def rewrite(self, summary: list[SummarySentence]) -> list[SummarySentence]: ...


@dataclass(frozen=True)
class IncidentInput:
    """An incident to brief: its id, its articles and, where clustering named it, a title."""

    incident_id: str
    article_ids: Sequence[int]
    title: str | None = None


@dataclass
class _Report:
    """One article with its analysis and sentences, as the builder uses it."""

    article: Article
    analysis: dict
    sentences: ArticleSentences
    root: int  # the original of its syndication group (itself when it is one)
    independent: bool
    starts: list[int] = field(default_factory=list)  # sentence starts, for finding a mention's sentence
    expansions: dict[str, str] = field(default_factory=dict)  # the incident's acronyms: "CISA" -> full name

    def __post_init__(self) -> None:
        self.starts = [span.start for span in self.sentences.spans]

    @property
    def id(self) -> int:
        return self.article.id

    def name(self, data: dict) -> str:
        """A mention's canonical name, an acronym another report of the incident expanded replaced by
        that expansion."""
        name = clean_text(data.get("canonical") or data.get("text") or "")
        return self.expansions.get(name, name)

    def sentence_at(self, offset: int) -> int | None:
        """Index of the sentence containing `offset`, if one does."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.sentences.spans[index].end:
            return index
        return None

    def vector_at(self, offset: int) -> np.ndarray | None:
        index = self.sentence_at(offset)
        return None if index is None else self.sentences.vectors[index]

    def language_at(self, offset: int) -> str | None:
        for segment in self.analysis.get("segments") or []:
            if segment["start"] <= offset < segment["end"]:
                return segment["language"]
        return self.article.language or self.analysis.get("language")

    def evidence(self, start: int, end: int) -> Evidence:
        return Evidence(self.id, start, end, self.language_at(start))


class BriefBuilder:
    def __init__(
        self, store: Store, index: SentenceIndex, *, language: str = "en", rewriter: Rewriter | None = None
    ) -> None:
        self.store = store
        self.index = index
        self.language = language
        self.rewriter = rewriter

    def build(self, incident: IncidentInput, generated_at: str) -> Brief | None:
        """The brief, or None when none of the incident's articles is in the store."""
        reports = self._reports(incident.article_ids)
        if not reports:
            return None
        originals = [r for r in reports if r.independent]
        candidates, vectors = _candidates(originals)
        summary = extractive_summary(
            candidates, vectors, language=self.language, independent_sources=len(originals)
        )
        corroboration = _corroboration(summary, candidates, vectors)
        if self.rewriter is not None:
            summary = self.rewriter.rewrite(summary)
        timeline, dates = _timeline(originals, self.language)
        contradictions = _contradictions(dates + _stated_figures(originals))
        sources = [_source(r) for r in reports]
        return Brief(
            incident_id=incident.incident_id,
            headline=_headline(originals, summary, self.language, clean_text(incident.title or "")),
            language=self.language,
            generated_at=generated_at,
            method="extractive" if self.rewriter is None else f"abstractive:{self.rewriter.name}",
            summary=summary,
            key_facts=_key_facts(reports),
            timeline=timeline,
            quotes=_quotes(reports, self.language),
            requirements=_requirements(reports, self.language),
            sources=sources,
            confidence=_confidence(sources, corroboration, len(summary), contradictions),
        )

    def _reports(self, article_ids: Sequence[int]) -> list[_Report]:
        articles = [a for a in (self.store.get_article(i) for i in dict.fromkeys(article_ids)) if a]
        articles.sort(key=lambda a: (a.published or "9999", a.id))
        sentences = self.index.get(articles)
        members = {a.id for a in articles}
        roots_seen: set[int] = set()
        reports = []
        # originals first, so a copy's original is seen before it whatever their dates say
        for article in sorted(articles, key=lambda a: a.duplicate_of in members):
            root = article.duplicate_of if article.duplicate_of is not None else article.id
            reports.append(
                _Report(
                    article,
                    self.store.get_analysis(article.id) or {},
                    sentences[article.id],
                    root,
                    independent=root not in roots_seen,
                )
            )
            roots_seen.add(root)
        reports.sort(key=lambda r: (r.article.published or "9999", r.id))
        expansions = _acronym_expansions(reports, self.language)
        for report in reports:
            report.expansions = expansions
        return reports


def _acronym_expansions(reports: list[_Report], language: str) -> dict[str, str]:
    """One name per party the reports name by an acronym and its expansion:
    - an acronym one report expands ("CISA" with the canonical "Cybersecurity and Infrastructure Security
      Agency", from the text or a catalog) and another writes bare; one expanded in two ways stays as written;
    - the expansion in one language and the organisation in another that the acronym abbreviates: "State
      Criminal Police Office of Baden-Württemberg (LKA)" in an English report and "Landeskriminalamt
      Baden-Württemberg" in a German one (exactly one such name, sharing a proper name with the expansion),
      shown in the brief's language."""
    found: dict[str, set[str]] = {}
    language_of: dict[str, str | None] = {}  # an organisation's name -> the language of a report using it
    for report in reports:
        for entity in report.analysis.get("entities") or []:
            text, canonical = clean_text(entity.get("text") or ""), clean_text(entity.get("canonical") or "")
            if ACRONYM.fullmatch(text) and canonical and canonical != text:
                found.setdefault(text, set()).add(canonical)
            if entity.get("label") == "ORG" and canonical:
                language_of.setdefault(canonical, report.language_at(entity.get("start") or 0))
    names = {acronym: expanded.pop() for acronym, expanded in found.items() if len(expanded) == 1}
    for acronym, expansion in list(names.items()):
        translations = [
            name
            for name, name_language in language_of.items()
            if name != expansion
            and name_language != language_of.get(expansion)
            and name not in names.values()
            and _abbreviates(acronym, name)
            and _proper_words(name) & _proper_words(expansion)  # a translation keeps its names
        ]
        if len(translations) == 1:
            (translation,) = translations
            shown, other = (
                (translation, expansion) if language_of[translation] == language else (expansion, translation)
            )
            names.update({acronym: shown, other: shown})
    return names


def _proper_words(name: str) -> set[str]:
    """Capitalised words of four letters or more that are no function words: "Baden-Württemberg"."""
    return {w for w in re.findall(r"\w[\w-]{3,}", name) if w[0].isupper() and w.lower() not in ORG_KIND_WORDS}


def _abbreviates(acronym: str, name: str) -> bool:
    """Schwartz and Hearst's test: the acronym's letters occur in the name in order, matched from the end,
    the first one at the start of a word ("LKA" in "Landeskriminalamt Baden-Württemberg")."""
    letters = [c.lower() for c in acronym if c.isalnum()]
    text = name.lower()
    position = len(text)
    for k in range(len(letters) - 1, -1, -1):
        position = text.rfind(letters[k], 0, position)
        while k == 0 and position > 0 and text[position - 1].isalnum():
            position = text.rfind(letters[k], 0, position)
        if position < 0:
            return False
    return True


def _candidates(originals: list[_Report]) -> tuple[list[Candidate], np.ndarray]:
    candidates: list[Candidate] = []
    rows = []
    for report in originals:
        text = report.article.text
        title = _normalised(report.article.title or "")
        for position, span in enumerate(report.sentences.spans):
            sentence = text[span.start : span.end]
            if not _STATEMENT_END.search(sentence) or _normalised(sentence) == title:
                continue  # headings, captions and a repeated headline are not statements
            candidates.append(
                Candidate(
                    clean_text(text[span.start : span.end]),
                    report.language_at(span.start),
                    report.evidence(span.start, span.end),
                    position,
                    report.article.published,
                )
            )
            rows.append(report.sentences.vectors[position])
    return candidates, (np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32))


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _corroboration(summary: list[SummarySentence], candidates: list[Candidate], vectors: np.ndarray) -> int:
    """How many summary sentences another original report also states (a close sentence there)."""
    position = {c.evidence: i for i, c in enumerate(candidates)}
    articles = np.array([c.evidence.article_id for c in candidates])
    count = 0
    for sentence in summary:
        i = position[sentence.evidence[0]]
        elsewhere = articles != articles[i]
        if elsewhere.any() and float((vectors[elsewhere] @ vectors[i]).max()) >= CORROBORATED:
            count += 1
    return count


def _headline(originals: list[_Report], summary: list[SummarySentence], language: str, title: str) -> str:
    """The incident's title (its earliest report's) when a report in the brief's language carries it; else
    the title of the report closest to the coverage as a whole, in the brief's language if one is."""
    titled = [r for r in originals if r.article.title and clean_text(r.article.title) and r.sentences.spans]
    if title and (
        not titled
        or any(clean_text(r.article.title) == title and r.language_at(0) == language for r in titled)
        or all(r.language_at(0) != language for r in titled)
    ):
        return title
    if not titled:
        return summary[0].text if summary else "(untitled incident)"
    means = np.stack([r.sentences.vectors.mean(axis=0) for r in titled])
    centre = means.mean(axis=0)
    closeness = means @ centre - np.array([0.0 if r.language_at(0) == language else 1.0 for r in titled])
    return clean_text(titled[int(np.argmax(closeness))].article.title)


def _source(report: _Report) -> Source:
    article = report.article
    # local files are identified by their file: URI; their canonical URL is where readers find them
    url = article.canonical_url if article.url.startswith("file:") and article.canonical_url else article.url
    outlet = article.site_name or urlsplit(url).hostname or url
    return Source(
        article_id=article.id,
        outlet=clean_text(outlet),
        language=article.language,
        published=article.published,
        url=clean_text(url),
        title=clean_text(article.title) if article.title else None,
        syndicated_copy_of=article.duplicate_of,
        independent=report.independent,
    )


# Timeline and contradictions


@dataclass
class _Dated:
    value: str
    precision: str
    mod: str | None
    expression: str
    sentence: str
    evidence: Evidence
    vector: np.ndarray | None
    root: int
    published: str | None


def _timeline(originals: list[_Report], language: str) -> tuple[list[TimelineEntry], list[_Stated]]:
    """The timeline, and every dated sentence (for finding contradictions). An event several reports date
    is shown in the words of the first report in the brief's language, else of the first report."""
    mentions: list[_Dated] = []
    for report in originals:
        text = report.article.text
        for date in report.analysis.get("dates") or []:
            precision = timex.precision(date.get("value")) if date.get("type") in ("DATE", "TIME") else None
            if precision is None:
                continue  # durations, sets, references and unresolved dates are not points in time
            index = report.sentence_at(date["start"])
            span = report.sentences.spans[index] if index is not None else None
            start, end = (span.start, span.end) if span else (date["start"], date["end"])
            mentions.append(
                _Dated(
                    date["value"],
                    precision,
                    date.get("mod"),
                    clean_text(date["text"]),
                    clean_text(text[start:end]),
                    report.evidence(start, end),
                    report.sentences.vectors[index] if index is not None else None,
                    report.root,
                    report.article.published,
                )
            )
    entries: list[tuple[_Dated, TimelineEntry]] = []
    for mention in mentions:
        same = next(
            (
                entry
                for first, entry in entries
                if first.value == mention.value
                and first.mod == mention.mod
                and _close(first, mention, SAME_EVENT)
            ),
            None,
        )
        if same is None:
            entry = TimelineEntry(
                mention.value,
                mention.precision,
                mention.mod,
                mention.expression,
                mention.sentence,
                [mention.evidence],
                mention.published,
            )
            entries.append((mention, entry))
        elif mention.evidence not in same.evidence:
            if same.evidence[0].language != language and mention.evidence.language == language:
                same.expression, same.sentence = mention.expression, mention.sentence
                same.evidence.insert(0, mention.evidence)
            else:
                same.evidence.append(mention.evidence)
    kept = [entry for _, entry in entries]
    if len(kept) > MAX_TIMELINE:  # the events most reports date, then the most precise
        ranked = sorted(
            kept, key=lambda e: (-len({x.article_id for x in e.evidence}), _PRECISION_RANK[e.precision])
        )
        kept = ranked[:MAX_TIMELINE]
    kept.sort(key=lambda entry: (timex.period_start(entry.value), entry.reported or ""))
    return kept, _stated_dates(mentions)


def _close(a, b, threshold: float) -> bool:
    return a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= threshold


@dataclass
class _Stated:
    """A date or figure as stated in one sentence of an original report."""

    kind: str  # "date" or "figure"
    key: str  # what must match to compare: the precision of a date, the currency or unit of a figure
    value: str
    sentence: str
    evidence: Evidence  # of the sentence
    vector: np.ndarray
    root: int


def _stated_dates(mentions: list[_Dated]) -> list[_Stated]:
    return [
        _Stated("date", m.precision, m.value, m.sentence, m.evidence, m.vector, m.root)
        for m in mentions
        if m.vector is not None
    ]


def _stated_figures(originals: list[_Report]) -> list[_Stated]:
    stated = []
    for report in originals:
        for money in report.analysis.get("money") or []:
            index = report.sentence_at(money["start"])
            unit = money.get("currency") or (money.get("unit") or "").lower()
            if index is None or not unit or money.get("amount") is None:
                continue
            span = report.sentences.spans[index]
            stated.append(
                _Stated(
                    "figure",
                    unit,
                    f"{money['amount']:g} {unit}",
                    clean_text(report.article.text[span.start : span.end]),
                    report.evidence(span.start, span.end),
                    report.sentences.vectors[index],
                    report.root,
                )
            )
    return stated


def _contradictions(stated: list[_Stated]) -> list[Contradiction]:
    """Near-identical sentences of independent reports that state different dates or figures.

    Sentences are compared as wholes: "on Monday ... said on Tuesday" against the same pair of days
    agrees, whichever day is compared with which; only values one sentence has and the other lacks
    (where it has another of the same kind) conflict. Dates that refine each other do not conflict.
    """
    sentences: dict[Evidence, list[_Stated]] = {}
    for item in stated:
        sentences.setdefault(item.evidence, []).append(item)
    groups = list(sentences.values())
    conflicts: list[Contradiction] = []
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            if a[0].root == b[0].root or float(a[0].vector @ b[0].vector) < SAME_FACT:
                continue
            for kind, key in sorted({(x.kind, x.key) for x in a} & {(x.kind, x.key) for x in b}):
                mine = [x for x in a if (x.kind, x.key) == (kind, key)]
                theirs = [x for x in b if (x.kind, x.key) == (kind, key)]
                only_mine = [x for x in mine if not any(_agree(x, y) for y in theirs)]
                only_theirs = [y for y in theirs if not any(_agree(x, y) for x in mine)]
                if only_mine and only_theirs:
                    conflicts.append(
                        Contradiction(
                            kind,
                            [
                                ConflictingValue(x.value, x.sentence, x.evidence)
                                for x in (only_mine[0], only_theirs[0])
                            ],
                        )
                    )
    return conflicts


def _agree(a: _Stated, b: _Stated) -> bool:
    return timex.overlaps(a.value, b.value) if a.kind == "date" else a.value == b.value


# Quotes and requirements


@dataclass
class _Group:
    key: str | None
    vector: np.ndarray | None
    normalised: str
    language: str | None
    items: list = field(default_factory=list)


def _grouped(items, threshold: float) -> list[_Group]:
    """Items (key, vector, text, language, payload) in groups: the same words; or close vectors and the
    same key (speaker, requester), less close across languages, since a translation scores lower; or
    very close vectors whatever the key, since the analysis may name the speaker differently or miss
    him in one language."""
    groups: list[_Group] = []
    for key, vector, text, language, payload in items:
        normalised = " ".join(text.lower().split())
        for group in groups:
            similarity = (
                float(group.vector @ vector) if vector is not None and group.vector is not None else 0.0
            )
            if group.key != key:
                limit = SAME_WHOEVER_SAID_IT
            else:
                limit = threshold if group.language == language else SAME_IN_TRANSLATION
            if group.normalised == normalised or similarity >= limit:
                group.items.append(payload)
                break
        else:
            groups.append(_Group(key, vector, normalised, language, [payload]))
    return groups


def _speaker(report: _Report, speaker: dict | None) -> tuple[str | None, Person | None]:
    if not speaker:
        return None, None
    name = report.name(speaker)
    if not name:
        return None, None
    role = employer = None
    for entity in report.analysis.get("entities") or []:
        if entity.get("label") == "PER" and (entity.get("canonical") or entity.get("text")) == name:
            role = role or entity.get("role")
            employer = employer or entity.get("employer")
    key = (speaker.get("kb_id") or name).lower()
    return key, Person(name, clean_text(role) if role else None, clean_text(employer) if employer else None)


def _quotes(reports: list[_Report], language: str) -> list[QuoteGroup]:
    items = []
    for report in reports:
        for quote in report.analysis.get("quotes") or []:
            key, person = _speaker(report, quote.get("speaker"))
            text = clean_text(quote["text"]).rstrip(",;: ")  # the comma before "said" is not the speaker's
            if len(text.split()) < MIN_QUOTE_WORDS:
                continue
            quote_report = QuoteReport(
                text,
                quote.get("language") or report.language_at(quote["start"]),
                quote.get("kind") or "direct",
                clean_text(quote["medium"]) if quote.get("medium") else None,
                report.evidence(quote["start"], quote["end"]),
                quote.get("id"),
            )
            items.append(
                (key, report.vector_at(quote["start"]), text, quote_report.language, (person, quote_report))
            )
    known: dict[str, Person] = {}  # one label per speaker: the role and employer any report gives
    for person, _ in (payload for *_, payload in items):
        if person and (person.name not in known or (person.role and not known[person.name].role)):
            known[person.name] = person
    groups = []
    for group in _grouped(items, SAME_QUOTE):
        person = next((known[p.name] for p, _ in group.items if p), None)
        shown = _preferred([r for _, r in group.items], language)
        groups.append(
            QuoteGroup(
                speaker=person,
                text=shown.text,
                language=shown.language,
                kind=shown.kind,
                medium=next((r.medium for _, r in group.items if r.medium), None),
                reports=[r for _, r in group.items],
            )
        )
    if len(groups) > MAX_QUOTES:  # the statements most outlets carried; direct words before paraphrase
        order = sorted(
            groups, key=lambda g: (-len({r.evidence.article_id for r in g.reports}), g.kind != "direct")
        )
        kept = {id(g) for g in order[:MAX_QUOTES]}
        groups = [g for g in groups if id(g) in kept]
    return groups


def _preferred(items: list, language: str):
    """The first item in the brief's language, else the first (the earliest report)."""
    return next((item for item in items if item.language == language), items[0])


def _party(report: _Report, data: dict | None) -> Party | None:
    if not data:
        return None
    name = report.name(data)
    return Party(name, data.get("kb_id")) if name else None


def _controls(rows: list[dict] | None, key: str) -> list[Control]:
    ranked = sorted(rows or [], key=lambda row: -(row.get("score") or 0.0))[:3]
    return [
        Control(row["id"], clean_text(row.get(key) or ""), float(row.get("score") or 0.0)) for row in ranked
    ]


def _requirements(reports: list[_Report], language: str) -> list[RequirementEntry]:
    items = []
    for report in reports:
        for requirement in report.analysis.get("requirements") or []:
            # the cited characters: the analysis blanks reported words inside the sentence it stores
            cited = (
                report.article.text[requirement["start"] : requirement["end"]] if report.article.text else ""
            )
            text = clean_text(cited or requirement.get("text") or "")
            if not text:
                continue
            requester = _party(report, requirement.get("requester"))
            entry = RequirementEntry(
                text=text,
                statement=clean_text(requirement["statement"]) if requirement.get("statement") else None,
                requester=requester,
                addressee=_party(report, requirement.get("addressee")),
                modality=requirement.get("modality"),
                polarity=requirement.get("polarity"),
                language=requirement.get("language") or report.language_at(requirement["start"]),
                confidence=requirement.get("confidence"),
                controls=_controls(requirement.get("controls"), "title"),
                mitigations=_controls(requirement.get("mitigations"), "name"),
                evidence=[report.evidence(requirement["start"], requirement["end"])],
            )
            key = requester.name.lower() if requester else None
            items.append((key, report.vector_at(requirement["start"]), text, entry.language, entry))
    entries = []
    for group in _grouped(items, SAME_REQUIREMENT):
        shown = _preferred(group.items, language)
        evidence = [e for item in group.items for e in item.evidence]
        entries.append(RequirementEntry(**{**shown.__dict__, "evidence": evidence}))
    if len(entries) > MAX_REQUIREMENTS:
        order = sorted(entries, key=lambda r: (-len({e.article_id for e in r.evidence}), r.requester is None))
        kept = {id(r) for r in order[:MAX_REQUIREMENTS]}
        entries = [r for r in entries if id(r) in kept]
    return entries


# Key facts and confidence


def _key_facts(reports: list[_Report]) -> KeyFacts:
    facts = KeyFacts()
    actors: dict[str, ActorFact] = {}
    entities: dict[tuple[str, str], tuple[EntityFact | PersonFact, set[int]]] = {}
    mentions: Counter[tuple[str, str]] = Counter()  # per entity key
    companies: set[str] = set()  # names (case-folded) a mention gives a company's legal form
    money_seen: set[tuple] = set()
    for report in reports:
        for actor in report.analysis.get("actors") or []:
            name = clean_text(actor.get("canonical") or "")
            key = actor.get("kb_id") or name
            if not key:
                continue
            # analyses stored before actors had a kind knew only groups
            kind = actor.get("kind") or "group"
            fact = actors.setdefault(key, ActorFact(name, actor.get("kb_id"), [], [], kind))
            for alias in actor.get("aliases") or []:
                alias_name, source = clean_text(alias["name"]), alias.get("source") or ""
                if alias_name.casefold() == name.casefold():
                    continue
                # "Cozy Bear" (ATT&CK) and "COZY BEAR" (Microsoft's table) are one name: the first spelling
                same = next((a for a in fact.aliases if a.name.casefold() == alias_name.casefold()), None)
                if same is None:
                    fact.aliases.append(Alias(alias_name, source))
                elif source not in same.source.split(", "):
                    same.source = f"{same.source}, {source}"  # one name, every naming scheme using it
            if report.id not in fact.article_ids:
                fact.article_ids.append(report.id)
        for entity in report.analysis.get("entities") or []:
            label = entity.get("label")
            kind = {"ORG": "org", "PER": "person", "PRODUCT": "product"}.get(label)
            kind = "vulnerability" if label == "VULNERABILITY" else kind
            name = report.name(entity)
            if kind is None or not name:
                continue
            key = (kind, (entity.get("kb_id") or name).lower())
            if key not in entities:
                fact = (
                    PersonFact(name, None, None, [])
                    if kind == "person"
                    else EntityFact(name, entity.get("kb_id"), [])
                )
                entities[key] = (fact, set())
            fact, roots = entities[key]
            roots.add(report.root)
            mentions[key] += 1
            if has_legal_form(clean_text(entity.get("text") or "")):  # "Logiciels Boréal SAS"
                companies.add(name.casefold())
            if report.id not in fact.article_ids:
                fact.article_ids.append(report.id)
            if kind == "person":
                fact.role = fact.role or (clean_text(entity["role"]) if entity.get("role") else None)
                fact.employer = fact.employer or (
                    clean_text(entity["employer"]) if entity.get("employer") else None
                )
        for money in report.analysis.get("money") or []:
            if not money.get("currency") or (money.get("amount"), money["currency"]) in money_seen:
                continue
            money_seen.add((money.get("amount"), money["currency"]))
            facts.money.append(
                MoneyFact(
                    clean_text(money["text"]),
                    money.get("amount"),
                    money["currency"],
                    report.evidence(money["start"], money["end"]),
                )
            )
    # names that are not parties to the incident: the actors themselves and the outlets reporting it
    excluded = {a.name.lower() for a in actors.values()} | {
        alias.name.lower() for a in actors.values() for alias in a.aliases
    }
    outlets = set()  # as written, and by their web address: "Infosec Daily" is infosecdaily.example
    for report in reports:
        article = report.article
        hosts = [
            (urlsplit(url).hostname or "").removeprefix("www.")
            for url in (article.url, article.canonical_url)
            if url
        ]
        outlets |= {_squashed(article.site_name or "")} | {_squashed(h.rsplit(".", 1)[0]) for h in hosts if h}
    outlets.discard("")
    facts.actors = list(actors.values())
    _one_kind_per_name(entities, mentions, companies)
    _merge_short_names(entities)
    ranked = sorted(entities.items(), key=lambda item: (-len(item[1][1]), item[1][0].name))
    for (kind, _), (fact, roots) in ranked:
        if fact.name.lower() in excluded or _squashed(fact.name) in outlets:
            continue
        # a one-word name in one report, with nothing else known about it, is most often a tagging error
        lone = len(roots) == 1 and " " not in fact.name
        if (kind == "org" and lone and not fact.kb_id) or (kind == "person" and lone and not fact.role):
            continue
        target = {
            "org": facts.organisations,
            "person": facts.people,
            "product": facts.products,
            "vulnerability": facts.vulnerabilities,
        }[kind]
        if len(target) < MAX_FACTS:
            target.append(fact)
    facts.money = facts.money[:MAX_FACTS]
    return facts


def _one_kind_per_name(
    entities: dict[tuple[str, str], tuple[EntityFact | PersonFact, set[int]]],
    mentions: Counter[tuple[str, str]],
    companies: set[str],
) -> None:
    """Each name under one kind: where the reports disagree on what a name is (an organisation in one, a
    product in another), the kind most of its mentions have, then the one more reports use. A name that is
    an organisation in any report, or that a mention gives a company's legal form, is no person's, unless a
    report gives the person a role ("Jana Petersen, spokesperson of ..."): a model tags people ORG too."""
    by_name: dict[str, list[tuple[str, str]]] = {}
    for key, (fact, _) in entities.items():
        if key[0] in NAME_KINDS:
            by_name.setdefault(fact.name.casefold(), []).append(key)
    for name, keys in by_name.items():
        company = name in companies or any(kind == "org" for kind, _ in keys)
        eligible = [key for key in keys if not (company and key[0] == "person" and not entities[key][0].role)]
        if not eligible:  # only ever tagged a person, but written with a legal form: an organisation
            person, roots = entities.pop(keys[0])
            eligible = [("org", keys[0][1])]
            entities[eligible[0]] = (EntityFact(person.name, None, person.article_ids), roots)
            mentions[eligible[0]] = mentions.pop(keys[0])
            keys = eligible + keys[1:]
        winner = max(eligible, key=lambda key: (mentions[key], len(entities[key][1])))
        fact, roots = entities[winner]
        for key in keys:
            if key != winner:
                other, other_roots = entities.pop(key)
                roots |= other_roots
                fact.article_ids += [i for i in other.article_ids if i not in fact.article_ids]


def _squashed(name: str) -> str:
    return re.sub(r"[\W_]", "", name.lower().removeprefix("the "))


def _merge_short_names(entities: dict) -> None:
    """ "Albrecht" into "Martin Albrecht", "Kommunal-IT" into "Rhein-Neckar Kommunal-IT": the short form
    of a name the incident also has in full is the same party (per kind)."""
    keys = sorted(entities, key=lambda key: -len(entities[key][0].name))
    for short in reversed(keys):
        kind = short[0]
        name = entities[short][0].name
        longer = next(
            (
                key
                for key in keys
                if key[0] == kind
                and key != short
                and entities[key][0].name.endswith((" " + name, "-" + name))
            ),
            None,
        )
        if longer is None:
            continue
        fact, roots = entities.pop(short)
        target, target_roots = entities[longer]
        target_roots |= roots
        target.article_ids += [i for i in fact.article_ids if i not in target.article_ids]
        keys.remove(short)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _confidence(
    sources: list[Source], corroborated: int, summary_sentences: int, contradictions: list[Contradiction]
) -> Confidence:
    independent = [s for s in sources if s.independent]
    outlets = len({s.outlet for s in independent})
    languages = sorted({s.language for s in sources if s.language})
    corroboration = corroborated / summary_sentences if summary_sentences else 0.0
    base = {0: 0.0, 1: 0.3, 2: 0.55, 3: 0.7}.get(outlets, 0.8)
    score = base + 0.2 * corroboration - min(0.3, 0.15 * len(contradictions))
    score = round(min(1.0, max(0.05, score)), 2)
    level = "high" if score >= 0.7 else "medium" if score >= 0.45 else "low"
    reasons = [
        f"{_count(len(independent), 'independent report')} from {_count(outlets, 'outlet')} in "
        f"{_count(len(languages), 'language')}",
        f"{corroborated} of {summary_sentences} summary sentences also stated by another independent report",
    ]
    copies = len(sources) - len(independent)
    if copies:
        reasons.append(f"{copies} syndicated cop{'y' if copies == 1 else 'ies'} not counted as corroboration")
    if contradictions:
        reasons.append(f"{_count(len(contradictions), 'contradiction')} between sources: see below")
    return Confidence(
        level, score, len(independent), outlets, languages, round(corroboration, 2), contradictions, reasons
    )
