"""Brief throughput: 1,000 already-analysed incidents summarised and written in all four formats.

Prints the wall time of `write_briefs` (build, Markdown, HTML, JSON, STIX, snapshot, indexes) and the
process's resident memory after 250, 500 and 1,000 incidents (flat when briefs are streamed, not held).
Target (issue 7): under 60 s for 1,000 incidents on the development machine.

    python benchmarks/summarize_briefs.py [--incidents 1000] [--seed 7]

Setup, not timed: synthetic incidents of three reports each (German and English, every fourth with a
syndicated copy), 12 sentences per report drawn from a pool of templated security-news sentences, with
analyses (organisations, people with roles, an actor with aliases, direct quotes, dates, money, a
requirement with controls) whose offsets point at the words in the text, written through the store
API. "Already analysed" includes the sentence vectors a brief needs: they are computed with the real
multilingual USE once per distinct pool sentence and stored as `brief summarize` stores them.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # benchmarks share process_stats.py

from process_stats import cpu_model, tree_memory_kb  # noqa: E402

from incident_brief.briefs.build import BriefBuilder, IncidentInput  # noqa: E402
from incident_brief.briefs.generate import write_briefs  # noqa: E402
from incident_brief.briefs.vectors import SentenceIndex  # noqa: E402
from incident_brief.corpus.dedup import content_hash  # noqa: E402
from incident_brief.corpus.records import Article  # noqa: E402
from incident_brief.corpus.store import Store  # noqa: E402
from incident_brief.nlp.embeddings import UseEmbedder  # noqa: E402

COMPANIES = (
    "Nordhafen Logistik|Brenner Kliniken|Altmark Wasser|Havelstrom|Vesta Versicherung|Kesselring Bau".split(
        "|"
    )
)
PEOPLE = [
    ("Anna Keller", "CISO"),
    ("Tobias Wendt", "spokesperson"),
    ("Mira Osei", "CEO"),
    ("Jonas Brandt", "CTO"),
]
ACTORS = [("LockBit", "G1004", ["LockBit Gang"]), ("Akira", "G1024", ["Storm-1567", "PUNK SPIDER"])]
# (language, text with {org} {person} {role} {actor} {day} {amount}): the analyses record where each lands
TEMPLATES = [
    (
        "de",
        "Die {org} ist Opfer eines Ransomware-Angriffs der Gruppe {actor} geworden, "
        "teilte das Unternehmen am {day}. Oktober mit.",
    ),
    (
        "de",
        "Nach Angaben der {org} verschlüsselten die Angreifer zentrale Server "
        "und forderten {amount} Millionen Euro.",
    ),
    ("de", "„Wir zahlen kein Lösegeld“, sagte {role} {person} am Mittwoch in einer Pressekonferenz."),
    (
        "de",
        "Das Bundesamt für Sicherheit in der Informationstechnik forderte die {org} auf, "
        "Fernzugänge mit einem zweiten Faktor abzusichern.",
    ),
    ("de", "Kundinnen und Kunden der {org} sollen Passwörter ändern und auf verdächtige E-Mails achten."),
    ("de", "Die Ermittlungen des Landeskriminalamts dauern nach Angaben eines Sprechers an."),
    ("en", "{org} was hit by a ransomware attack claimed by {actor} on {day} October, the company said."),
    ("en", "The attackers encrypted central servers at {org} and demanded {amount} million euros."),
    ("en", '"We will not pay a ransom," {role} {person} told reporters on Wednesday.'),
    ("en", "Germany's BSI urged {org} to protect remote access with a second factor."),
    ("en", "Customers of {org} were told to change their passwords and watch for phishing emails."),
    ("en", "State police are investigating, a spokesperson said, declining to give further details."),
]
SENTENCES_PER_REPORT = 12


@dataclass
class Written:
    text: str = ""
    entities: list[dict] = field(default_factory=list)
    quotes: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)
    money: list[dict] = field(default_factory=list)
    requirements: list[dict] = field(default_factory=list)


def fill(template: str, values: dict, written: Written) -> None:
    """Append the filled template to `written`, recording where each value lands."""
    position = len(written.text)
    out = ""
    for piece in template.replace("}", "{").split("{"):
        if piece in values:
            start = position + len(out)
            out += values[piece]
            end = position + len(out)
            record(piece, values, start, end, written)
        else:
            out += piece
    quoted = out.find("„") if "„" in out else out.find('"')
    if quoted >= 0:
        close = out.find("“" if "„" in out else '"', quoted + 1)
        written.quotes.append(
            {
                "text": out[quoted + 1 : close].rstrip(","),
                "kind": "direct",
                "start": position + quoted + 1,
                "end": position + close,
                "language": values["lang"],
                "confidence": 0.9,
                "medium": None,
                "cue": "said",
                "speaker": {"text": values["person"], "canonical": values["person"], "kb_id": None},
            }
        )
    if "zweiten Faktor" in out or "second factor" in out:
        written.requirements.append(
            {
                "text": out,
                "start": position,
                "end": position + len(out),
                "statement": "protect remote access with MFA",
                "requester": {
                    "text": "BSI",
                    "canonical": "Bundesamt für Sicherheit in der Informationstechnik",
                    "kb_id": None,
                },
                "addressee": {"text": values["org"], "canonical": values["org"], "kb_id": None},
                "modality": "must",
                "polarity": "positive",
                "language": values["lang"],
                "confidence": 0.8,
                "controls": [
                    {
                        "id": "IA-2(1)",
                        "title": "Multi-factor Authentication to Privileged Accounts",
                        "score": 0.9,
                    },
                    {"id": "AC-17", "title": "Remote Access", "score": 0.8},
                ],
                "mitigations": [{"id": "M1032", "name": "Multi-factor Authentication", "score": 0.9}],
            }
        )
    written.text += out


def record(piece: str, values: dict, start: int, end: int, written: Written) -> None:
    if piece == "org":
        written.entities.append(
            {
                "text": values[piece],
                "label": "ORG",
                "start": start,
                "end": end,
                "canonical": values[piece],
                "kb_id": None,
            }
        )
    elif piece == "person":
        written.entities.append(
            {
                "text": values[piece],
                "label": "PER",
                "start": start,
                "end": end,
                "canonical": values[piece],
                "kb_id": None,
                "role": values["role"],
            }
        )
    elif piece == "day":
        written.dates.append(
            {
                "text": values[piece],
                "start": start,
                "end": end,
                "type": "DATE",
                "value": f"2026-10-{int(values[piece]):02d}",
                "mod": None,
                "anchor": None,
            }
        )
    elif piece == "amount":
        written.money.append(
            {
                "text": f"{values[piece]} Millionen Euro",
                "start": start,
                "end": end,
                "amount": int(values[piece]) * 1_000_000,
                "currency": "EUR",
                "unit": None,
            }
        )


def report(rng: random.Random, language: str, incident: dict) -> Written:
    written = Written()
    pool = [t for lang, t in TEMPLATES if lang == language]
    values = {**incident, "lang": language}
    for n in range(SENTENCES_PER_REPORT):
        fill(pool[(n + rng.randrange(len(pool))) % len(pool)], values, written)
        written.text += "\n" if n % 3 == 2 else " "
    return written


def populate(store: Store, incidents: int, seed: int) -> list[IncidentInput]:
    rng = random.Random(seed)
    inputs = []
    with store.transaction() as db:
        for number in range(incidents):
            person, role = rng.choice(PEOPLE)
            actor, kb_id, aliases = rng.choice(ACTORS)
            incident = {
                "org": rng.choice(COMPANIES),
                "person": person,
                "role": role,
                "actor": actor,
                "day": str(rng.randint(1, 28)),
                "amount": str(rng.randint(1, 9)),
            }
            ids = []
            for position, language in enumerate(("de", "en", rng.choice(("de", "en")))):
                written = report(rng, language, incident)
                url = f"https://news{position}.example/{number}"
                article = Article(
                    url=url,
                    text=written.text,
                    title=f"Ransomware bei {incident['org']} ({number})",
                    published=f"2026-10-{int(incident['day']):02d}T1{position}:00:00+00:00",
                    language=language,
                    site_name=f"Outlet {position}",
                    content_hash=content_hash(written.text),
                    fetched_at="2026-11-01",
                )
                ids.append(store.write_article(db, article, url))
                actors = [
                    {
                        "canonical": actor,
                        "kb_id": kb_id,
                        "aliases": [{"name": a, "source": "attack"} for a in aliases],
                    }
                ]
                analysis = {
                    "id": str(ids[-1]),
                    "language": language,
                    "entities": written.entities,
                    "actors": actors,
                    "quotes": written.quotes,
                    "dates": written.dates,
                    "money": written.money,
                    "requirements": written.requirements,
                    "segments": [],
                    "notes": [],
                    "pipeline": "synthetic",
                }
                store.write_analysis(db, ids[-1], "synthetic", article.content_hash, analysis)
            if number % 4 == 0:  # a syndicated copy of the first report
                copy_url = f"https://wire.example/{number}"
                first = db.execute(
                    "SELECT text, content_hash FROM articles WHERE id = ?", (ids[0],)
                ).fetchone()
                copy = Article(
                    url=copy_url,
                    text=first[0],
                    title="Kopie",
                    published="2026-10-30",
                    language="de",
                    site_name="Wire",
                    content_hash=first[1],
                    fetched_at="2026-11-01",
                )
                copy_id = store.write_article(db, copy, copy_url)
                store.link_duplicate(db, copy_id, ids[0], "exact")
                analysis = db.execute(
                    "SELECT result FROM analyses WHERE article_id = ?", (ids[0],)
                ).fetchone()[0]
                db.execute(
                    "INSERT INTO analyses (article_id, pipeline, content_hash, analyzed_at, result) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (copy_id, "synthetic", first[1], "2026-11-01", analysis),
                )
                ids.append(copy_id)
            inputs.append(IncidentInput(f"inc-{number:05d}", ids))
    return inputs


class MemoEmbedder:
    """The real USE, each distinct sentence embedded once (the pool repeats sentences across reports)."""

    def __init__(self) -> None:
        self.model = UseEmbedder()
        self.name = self.model.name
        self.dimension = self.model.dimension
        self.cache: dict = {}

    def embed(self, texts):
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            self.cache.update(zip(missing, self.model.embed(missing), strict=True))
        return np.stack([self.cache[t] for t in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "briefs.db"
        started = time.perf_counter()
        with Store(path) as store:
            incidents = populate(store, args.incidents, args.seed)
            embedder = MemoEmbedder()
            index = SentenceIndex(store, embedder)
            for start in range(0, len(incidents), 50):
                batch = [
                    store.get_article(i) for item in incidents[start : start + 50] for i in item.article_ids
                ]
                index.get(batch)
        print(
            f"setup (not timed): {args.incidents} incidents, {sum(len(i.article_ids) for i in incidents)} "
            f"articles, {len(embedder.cache)} distinct sentences embedded, "
            f"{time.perf_counter() - started:.1f} s"
        )
        checkpoints = {n for n in (250, 500, 1000, args.incidents) if n <= args.incidents}
        memory: dict[int, int] = {}
        done = 0

        def progress(event: str, count: int) -> None:
            nonlocal done
            done += count
            if done in checkpoints:
                memory[done] = tree_memory_kb(os.getpid())[1]

        with Store(path) as store:
            builder = BriefBuilder(store, SentenceIndex(store, embedder), language="en")
            started = time.perf_counter()
            result = write_briefs(store, builder, iter(incidents), Path(scratch) / "out", progress=progress)
            elapsed = time.perf_counter() - started
        files = sum(1 for _ in (Path(scratch) / "out").iterdir())
    print(f"CPU: {cpu_model()}")
    print(
        f"summarised {result.briefs} incidents in all four formats ({files} files) in {elapsed:.1f} s: "
        f"{1000 * elapsed / result.briefs:.1f} ms per incident (target: 1,000 in < 60 s)"
    )
    print(
        "resident memory (RSS) after "
        + ", ".join(f"{n} incidents: {kb / 1024:.0f} MB" for n, kb in sorted(memory.items()))
    )


if __name__ == "__main__":
    main()
