"""Analysis of one text: language routing, the language's pipeline, and the stored record.

A text is split into language segments (paragraphs in another language, long enough to tell, are
analysed by that language's pipeline); entity offsets always refer to the whole text.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

from spacy.tokens import Doc

from incident_brief.config import NlpSettings
from incident_brief.corpus.language import LanguageIdentifier
from incident_brief.nlp.pipelines import PipelineSet

FALLBACK_LANGUAGE = "en"  # for texts too short or too garbled to identify
# Longer runs are analysed in pieces cut at paragraph (else word) boundaries: spaCy's memory grows
# with the length of a Doc, and a 1 MB page must not take the machine down.
MAX_SEGMENT_CHARS = 20_000
_PARAGRAPH = re.compile(r"[^\n]+")


@dataclass
class Entity:
    text: str
    label: str
    start: int
    end: int
    canonical: str | None = None
    kb_id: str | None = None
    role: str | None = None
    employer: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("role", "employer"):  # only people have them
            if data[key] is None:
                del data[key]
        return data


@dataclass
class Segment:
    start: int
    end: int
    language: str


@dataclass
class Analysis:
    """The analysis record of one text (docs/formats.md, `brief analyze --json`)."""

    id: str | None
    language: str | None
    entities: list[Entity] = field(default_factory=list)
    actors: list[dict] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    quotes: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)
    money: list[dict] = field(default_factory=list)
    requirements: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pipeline: str = ""

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "language": self.language,
            "entities": [e.to_dict() for e in self.entities],
            "actors": self.actors,
            "quotes": self.quotes,
            "dates": self.dates,
            "money": self.money,
            "requirements": self.requirements,
            "segments": [asdict(s) for s in self.segments],
            "notes": self.notes,
            "pipeline": self.pipeline,
        }


@dataclass
class TextItem:
    text: str
    id: str | None = None
    language: str | None = None  # given by the caller; otherwise identified
    published: str | None = None


class Analyzer:
    """Analyses texts with one pipeline per language, loaded on first use."""

    def __init__(self, settings: NlpSettings, language_identifier: LanguageIdentifier | None = None) -> None:
        self.settings = settings
        self.pipelines = PipelineSet(settings)
        self.languages = language_identifier or LanguageIdentifier()

    def analyze(
        self, text: str, *, language: str | None = None, published: str | None = None, id: str | None = None
    ) -> Analysis:
        return next(self.analyze_many([TextItem(text, id, language, published)]))

    def analyze_many(self, items: Iterable[TextItem]) -> Iterator[Analysis]:
        """Results in input order; segments of one language are batched through `nlp.pipe`."""
        batch = list(items)
        plans = [self.segments(item) for item in batch]
        docs: dict[tuple[int, int], Doc] = {}
        by_language: dict[str, list[tuple[int, int]]] = {}
        for i, plan in enumerate(plans):
            for j, segment in enumerate(plan):
                by_language.setdefault(segment.language, []).append((i, j))
        for language, keys in by_language.items():
            pipeline = self.pipelines.get(language)
            texts = []
            for i, j in keys:
                segment = plans[i][j]
                texts.append(_doc_input(pipeline.nlp, batch[i], segment))
            for key, doc in zip(
                keys, pipeline.nlp.pipe(texts, batch_size=self.settings.batch_size), strict=True
            ):
                docs[key] = doc
        for i, item in enumerate(batch):
            yield self._record(item, plans[i], [docs[(i, j)] for j in range(len(plans[i]))])

    def segments(self, item: TextItem) -> list[Segment]:
        """Language runs of the text: the document language, and paragraphs clearly in another one."""
        text = item.text
        if not text.strip():
            return []
        language = item.language or self.languages.identify(text).language or FALLBACK_LANGUAGE
        segments: list[Segment] = []
        for match in _PARAGRAPH.finditer(text):
            if item.language is None and len(match.group()) >= self.settings.min_segment_chars:
                paragraph_language = self.languages.identify(match.group()).language or language
            else:  # too short to tell (a heading, a byline): it belongs to the run it is in
                paragraph_language = segments[-1].language if segments else language
            if segments and segments[-1].language == paragraph_language:
                segments[-1].end = match.end()
                continue
            if segments:
                segments[-1].end = match.start()  # runs tile the text: line breaks belong to the run before
            segments.append(Segment(match.start() if segments else 0, match.end(), paragraph_language))
        segments[-1].end = len(text)
        return [piece for segment in segments for piece in _cut(text, segment)]

    def _record(self, item: TextItem, segments: list[Segment], docs: list[Doc]) -> Analysis:
        from incident_brief.nlp.actors import actors_in

        languages = [s.language for s in segments]
        main = max(
            set(languages),
            key=lambda lang: sum(s.end - s.start for s in segments if s.language == lang),
            default=None,
        )
        runs: list[Segment] = []
        for segment in segments:  # the language runs, without the cuts made for length
            if runs and runs[-1].language == segment.language:
                runs[-1] = Segment(runs[-1].start, segment.end, segment.language)
            else:
                runs.append(segment)
        analysis = Analysis(id=item.id, language=main, segments=runs if len(runs) > 1 else [])
        actors: dict[str, dict] = {}
        for segment, doc in zip(segments, docs, strict=True):
            for ent in doc.ents:
                analysis.entities.append(
                    Entity(
                        text=ent.text,
                        label=ent.label_,
                        start=segment.start + ent.start_char,
                        end=segment.start + ent.end_char,
                        canonical=ent._.canonical,
                        kb_id=ent._.kb_id,
                        role=ent._.role,
                        employer=ent._.employer,
                    )
                )
            # Quote ids ("q1", ...) run in article order over all segments, so requirements can cite them.
            quote_ids = [f"q{len(analysis.quotes) + i + 1}" for i in range(len(doc._.quotes))]
            for quote_id, quote in zip(quote_ids, doc._.quotes, strict=True):
                analysis.quotes.append({"id": quote_id, **quote.to_dict(offset=segment.start)})
            first = len(analysis.requirements) + 1  # requirement ids run over all segments too
            for requirement in doc._.requirements:
                quote_id = quote_ids[requirement.quote_index] if requirement.quote_index is not None else None
                same_as = f"r{first + requirement.same_as}" if requirement.same_as is not None else None
                record = requirement.to_dict(offset=segment.start, quote_id=quote_id, same_as=same_as)
                analysis.requirements.append({"id": f"r{len(analysis.requirements) + 1}", **record})
            analysis.dates.extend(timex.to_dict(offset=segment.start) for timex in doc._.timexes)
            analysis.money.extend(amount.to_dict(offset=segment.start) for amount in doc._.money)
            for actor in actors_in(doc):
                key = actor["kb_id"] or actor["canonical"]
                actors.setdefault(key, actor)
        analysis.actors = list(actors.values())
        analysis.notes = sorted({n for lang in set(languages) if (n := self.pipelines.get(lang).note)})
        analysis.pipeline = self.pipelines.version(languages) if languages else ""
        return analysis


def _cut(text: str, segment: Segment) -> list[Segment]:
    pieces = []
    start = segment.start
    while segment.end - start > MAX_SEGMENT_CHARS:
        limit = start + MAX_SEGMENT_CHARS
        cut = text.rfind("\n", start + MAX_SEGMENT_CHARS // 2, limit)
        if cut < 0:
            cut = text.rfind(" ", start + MAX_SEGMENT_CHARS // 2, limit)
        cut = limit if cut < 0 else cut + 1
        pieces.append(Segment(start, cut, segment.language))
        start = cut
    pieces.append(Segment(start, segment.end, segment.language))
    return pieces


def _doc_input(nlp, item: TextItem, segment: Segment) -> Doc:
    """The segment as a Doc carrying the publication date, the anchor for relative dates."""
    doc = nlp.make_doc(item.text[segment.start : segment.end])
    doc._.published = item.published
    return doc


@dataclass
class AnalyzeReport:
    analyzed: int = 0
    up_to_date: int = 0
    languages: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def analyze_store(
    store, analyzer: Analyzer, *, everything: bool = False, batch_size: int = 32, progress=None
) -> AnalyzeReport:
    """Analyse the stored articles that need it (all with `everything`), one transaction per batch.

    With `nlp.workers` > 1 batches are analysed in forked worker processes: the pipelines are loaded
    once here before the fork, so the workers share the model weights' memory pages.
    """
    fingerprint = analyzer.pipelines.fingerprint
    ids = store.articles_to_analyze(fingerprint, everything=everything)
    report = AnalyzeReport(up_to_date=store.count_articles() - len(ids))
    if progress:
        progress("total", len(ids))
    batches = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
    workers = analyzer.settings.workers or os.cpu_count() or 1

    hashes: dict[int, str] = {}  # of the texts handed out, so an update meanwhile is analysed again

    def items(batch: list[int]) -> list[TextItem]:
        articles = [store.get_article(article_id) for article_id in batch]
        hashes.update((a.id, a.content_hash) for a in articles)
        return [TextItem(a.text, str(a.id), None, a.published) for a in articles]

    def save(batch: list[int], results: list[dict]) -> None:
        with store.transaction() as db:
            for article_id, result in zip(batch, results, strict=True):
                store.write_analysis(db, article_id, fingerprint, hashes.pop(article_id), result)
                language = result["language"] or "unknown"
                report.languages[language] = report.languages.get(language, 0) + 1
                report.analyzed += 1
        if progress:
            progress("done", len(batch))

    if workers <= 1 or len(batches) < 2:
        for batch in batches:
            save(batch, [a.to_dict() for a in analyzer.analyze_many(items(batch))])
        return report
    for language in ("en", "de"):  # the common ones, loaded before the fork so their memory is shared
        analyzer.pipelines.get(language)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(analyzer,)
    ) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append((batch, pool.submit(_analyze_in_worker, items(batch))))
            if len(pending) >= 2 * workers:  # bounded: the texts in flight, not the whole corpus
                done_batch, future = pending.popleft()
                save(done_batch, future.result())
        while pending:
            done_batch, future = pending.popleft()
            save(done_batch, future.result())
    return report


# Each analysis worker process keeps the Analyzer it inherited at the fork.
_worker_analyzer: Analyzer | None = None


def _init_worker(analyzer: Analyzer) -> None:
    global _worker_analyzer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _worker_analyzer = analyzer


def _analyze_in_worker(items: list[TextItem]) -> list[dict]:
    return [analysis.to_dict() for analysis in _worker_analyzer.analyze_many(items)]
