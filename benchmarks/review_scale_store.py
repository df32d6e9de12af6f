"""A review-app store at scale: synthetic, analysed, clustered and briefed incidents, written in bulk.

    python benchmarks/review_scale_store.py PATH [--articles 100000] [--incidents 10000] [--seed 7]

What `brief serve` reads, without running the NLP pipeline (hours on two cores at this size):
- articles of 1.5 to 6 kB in German, English and French from 150 outlets, published over a year; each
  opens with security-news sentences from the templates of benchmarks/summarize_briefs.py (`fill`
  records where each organisation, person, date, amount, quote and requirement lands, so the analyses
  carry real offsets), French ones from templates here, and goes on with varied background sentences;
  about 8 % are syndicated copies (same text, another outlet, linked as duplicates);
- an analysis per article (entities, an actor out of 40 with skewed popularity, quotes, dates, money,
  requirements with controls), written through `Store.write_analysis`, so the `article_actors` trigger
  fills the actor filter's table as it does for real analyses;
- incidents with skewed sizes (log-normal: three quarters of them 1 to 10 articles, a few with
  hundreds), written through `Store.write_memberships`, so the `incident_stats` triggers run;
- one brief per incident, built by the real `BriefBuilder` (summary, key facts, timeline, quote groups,
  requirements, confidence) and stored as `brief summarize` stores it (`review_briefs`, a snapshot in
  `brief_snapshots`). Two stand-ins keep this to minutes: sentence vectors come from a hashing embedder
  (a sum of per-word random vectors, so sentences sharing words are close) and sentences are cut at the
  generator's own sentence ends, in a throw-away in-memory store (the pages never read them);
- review activity: a status for 15 % of the incidents and an edited headline for 2 % (through
  briefs/corrections.py), and a clustering decision (move, pin, merge) per 25 incidents through
  `Store.add_decision`.

The template dates are all in October 2026 (benchmarks/summarize_briefs.py writes them so), so timelines
say October whatever the incident's publication dates; the pages do the same work either way.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))  # benchmarks share their generators

from summarize_briefs import PEOPLE, TEMPLATES, Written, fill  # noqa: E402

from incident_brief.briefs import corrections  # noqa: E402
from incident_brief.briefs.build import BriefBuilder, IncidentInput  # noqa: E402
from incident_brief.briefs.text import SentenceSpan  # noqa: E402
from incident_brief.briefs.vectors import SentenceIndex  # noqa: E402
from incident_brief.corpus.dedup import content_hash  # noqa: E402
from incident_brief.corpus.records import Article  # noqa: E402
from incident_brief.corpus.store import Store, now_iso  # noqa: E402

FR_TEMPLATES = [
    "L'entreprise {org} a subi une attaque par rançongiciel revendiquée par {actor} le {day} octobre.",
    "Les attaquants ont chiffré des serveurs centraux de {org} et réclament {amount} millions d'euros.",
    '"Nous ne paierons pas de rançon", a déclaré {role} {person} mercredi lors d\'une conférence de presse.',
    "Les clients de {org} doivent changer leurs mots de passe et se méfier des courriels suspects.",
    "Une enquête a été ouverte par le parquet, selon un porte-parole de {org}.",
]
ACTORS = (
    "LockBit|Akira|BlackCat|Cl0p|Play|Black Basta|Royal|Rhysida|Medusa|8Base|BianLian|Hunters International|"
    "RansomHub|Qilin|NoEscape|Cactus|Scattered Spider|APT28|APT29|Lazarus Group|Sandworm|Volt Typhoon|"
    "Kimsuky|FIN7|TA505|Conti|REvil|Vice Society|Snatch|Trigona|Lorenz|INC Ransom|Hellcat|Embargo|"
    "DragonForce|SafePay|Fog|Lynx|Interlock|Termite"
).split("|")
ORG_NAMES = (
    "Nordhafen|Brenner|Altmark|Havel|Vesta|Kesselring|Rheinau|Elbtal|Spessart|Weser|Lindau|Ostalb".split("|")
)
ORG_KINDS = "Logistik|Kliniken|Wasser|Stadtwerke|Versicherung|Bau|Energie|Bank|Chemie|Verkehrsbetriebe".split(
    "|"
)
FIRST = "Anna|Tobias|Mira|Jonas|Lena|Paul|Sophie|Karim|Claire|Marc|Julia|David|Nora|Felix|Inès|Lukas".split(
    "|"
)
LAST = "Keller|Wendt|Osei|Brandt|Krüger|Martin|Dubois|Schulz|Nowak|Laurent|Becker|Moreau|Fischer|Weber".split(
    "|"
)
OUTLETS = {
    "de": [a + b for a in "Netz|Hanse|Rhein|Alpen|Nord|Süd|Elb|Main|Ost|West".split("|")
           for b in "bote|blick|kurier|zeitung|post|anzeiger".split("|")],
    "en": [f"{a} {b}" for a in "Grid|Cyber|Secure|Threat|Data|Net|Wire|Signal|Patch|Breach".split("|")
           for b in "Watch|Wire|Daily|Post|Times|Report".split("|")],
    "fr": [a + b for a in ("Le Veilleur", "La Dépêche", "Le Courrier", "L'Écho", "Le Journal", "La Gazette")
           for b in (" du Net", " Numérique", " Cyber", " de l'Ouest", " du Sud")],
}  # fmt: skip
LANGUAGES = {"de": 0.45, "en": 0.40, "fr": 0.15}
# Background sentences: subject + what happened + when, per language (1,000 combinations each).
FILLER = {
    "de": (
        "Der Sprecher des Unternehmens|Ein externer Dienstleister|Die Datenschutzbehörde|Das IT-Team|"
        "Die Staatsanwaltschaft|Der Betriebsrat|Ein Sicherheitsforscher|Die Versicherung|Der Hersteller|"
        "Die Landesregierung",
        "prüft derzeit die Protokolle der betroffenen Systeme|hat die Wiederherstellung aus Sicherungen "
        "begonnen|bestätigte den Abfluss personenbezogener Daten|warnte vor gefälschten Rechnungen|"
        "empfahl, Zugangsdaten umgehend zu ändern|hat Strafanzeige gegen Unbekannt erstattet|meldete den "
        "Vorfall an die Aufsichtsbehörde|spielte ein Sicherheitsupdate für die Firewall ein|rechnet mit "
        "Einschränkungen über mehrere Wochen|verwies auf die laufenden Ermittlungen",
        "am Montagabend|seit dem Wochenende|nach eigenen Angaben|in einer Mitteilung|am Donnerstag|"
        "laut einem Bericht|im Laufe des Tages|bis auf Weiteres|nach ersten Erkenntnissen|zunächst",
    ),
    "en": (
        "A company spokesperson|An outside incident response firm|The data protection regulator|The IT team|"
        "Prosecutors|The works council|A security researcher|The insurer|The software vendor|"
        "The state government",
        "is reviewing the logs of the affected systems|has started restoring from backups|confirmed that "
        "personal data was stolen|warned of fake invoices|advised changing passwords immediately|filed a "
        "criminal complaint|reported the incident to the regulator|applied a security update to the "
        "firewall|expects disruption to last several weeks|pointed to the ongoing investigation",
        "on Monday evening|since the weekend|according to the company|in a statement|on Thursday|"
        "according to a report|later in the day|until further notice|according to initial findings|for now",
    ),
    "fr": (
        "Un porte-parole de l'entreprise|Un prestataire externe|La CNIL|L'équipe informatique|Le parquet|"
        "Le comité social|Un chercheur en sécurité|L'assureur|L'éditeur du logiciel|La préfecture",
        "examine les journaux des systèmes touchés|a commencé la restauration des sauvegardes|a confirmé le "
        "vol de données personnelles|met en garde contre de fausses factures|recommande de changer les mots "
        "de passe|a déposé plainte contre X|a signalé l'incident au régulateur|a appliqué un correctif au "
        "pare-feu|prévoit des perturbations pendant plusieurs semaines|renvoie à l'enquête en cours",
        "lundi soir|depuis le week-end|selon l'entreprise|dans un communiqué|jeudi|selon un rapport|"
        "dans la journée|jusqu'à nouvel ordre|selon les premiers éléments|pour l'instant",
    ),
}
FIRST_DAY = np.datetime64("2025-12-01")
_SENTENCE_END = re.compile(r"[.!?][\"“]?(?=\s|$)")


@dataclass
class Generated:
    incidents: dict[str, list[int]]  # incident id: article ids
    seconds: dict[str, float]  # phase: seconds


def incident_sizes(rng: np.random.Generator, incidents: int, articles: int) -> np.ndarray:
    """Log-normal sizes (median about 5, a long tail of hundred-article incidents) summing to `articles`."""
    draws = rng.lognormal(0.0, 1.25, size=incidents)
    low, high = -5.0, 10.0
    for _ in range(60):  # the location that makes the sizes sum to `articles`
        middle = (low + high) / 2
        total = np.clip(np.rint(draws * np.exp(middle)), 1, None).sum()
        low, high = (middle, high) if total < articles else (low, middle)
    sizes = np.clip(np.rint(draws * np.exp(low)), 1, None).astype(int)
    while sizes.sum() != articles:  # the rounding remainder, one article at a time
        k = int(rng.integers(incidents))
        if sizes.sum() < articles:
            sizes[k] += 1
        elif sizes[k] > 1:
            sizes[k] -= 1
    return sizes


class HashingEmbedder:
    """Sentence vectors from hashed words: cheap, deterministic, and close for sentences sharing words."""

    name = "hashing-64"
    dimension = 64
    buckets = 4096

    def __init__(self) -> None:
        self.table = np.random.default_rng(0).normal(size=(self.buckets, self.dimension)).astype(np.float32)
        self.known: dict[str, np.ndarray] = {}  # background sentences repeat across articles

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dimension))

    def _vector(self, text: str) -> np.ndarray:
        if text not in self.known:
            words = [zlib.crc32(w.encode()) % self.buckets for w in re.findall(r"\w+", text.lower())]
            row = self.table[words].sum(axis=0) if words else np.zeros(self.dimension, dtype=np.float32)
            self.known[text] = row / (np.linalg.norm(row) or 1.0)
        return self.known[text]


class GeneratedSentences:
    """Cuts a generated text at its sentence ends (the spaCy splitter would take minutes at this size)."""

    def split(self, text: str, language: str | None) -> list[SentenceSpan]:
        spans, start = [], 0
        for end in [m.end() for m in _SENTENCE_END.finditer(text)]:
            spans.append(SentenceSpan(start, end))
            start = end + 1  # the space or line break between sentences
        return spans


def compose(rng: random.Random, language: str, values: dict, length: int) -> Written:
    """An article: the language's security-news templates in a random order, then background sentences
    up to `length` characters, three sentences to a paragraph."""
    written = Written()
    templates = [t for lang, t in TEMPLATES if lang == language] or list(FR_TEMPLATES)
    rng.shuffle(templates)
    subjects, events, times = (part.split("|") for part in FILLER[language])
    count = 0
    while len(written.text) < length or count < len(templates):
        if count < len(templates):
            fill(templates[count], {**values, "lang": language}, written)
        else:
            written.text += f"{rng.choice(subjects)} {rng.choice(events)}, {rng.choice(times)}."
        count += 1
        written.text += "\n" if count % 3 == 0 else " "
    written.text = written.text.rstrip()
    return written


def generate(
    path: Path, *, articles: int, incidents: int, seed: int, progress=lambda message: None
) -> Generated:
    rng = np.random.default_rng(seed)
    pyrandom = random.Random(seed)
    sizes = incident_sizes(rng, incidents, articles)
    actor_weights = 1 / np.arange(1, len(ACTORS) + 1) ** 1.1  # a few actors in many incidents
    members: dict[str, list[int]] = {}
    titles: dict[str, str] = {}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with Store(path) as store:
        pending: list[tuple[str, int, dict]] = []
        for number, size in enumerate(sizes):
            person = f"{pyrandom.choice(FIRST)} {pyrandom.choice(LAST)}"
            values = {
                "org": f"{pyrandom.choice(ORG_NAMES)} {pyrandom.choice(ORG_KINDS)}",
                "person": person,
                "role": pyrandom.choice(PEOPLE)[1],
                "actor": ACTORS[int(rng.choice(len(ACTORS), p=actor_weights / actor_weights.sum()))],
                "day": str(pyrandom.randint(1, 28)),
                "amount": str(pyrandom.randint(1, 9)),
                "start": FIRST_DAY + np.timedelta64(int(rng.integers(0, 365)), "D"),
            }
            incident_id = f"inc-{number:06d}"
            titles[incident_id] = f"Cyberangriff auf {values['org']}"
            pending.append((incident_id, int(size), values))
            if sum(p[1] for p in pending) >= 2000 or number == len(sizes) - 1:
                _write_batch(store, pending, pyrandom, rng, members, titles)
                pending = []
                progress(f"articles: {sum(map(len, members.values()))}")
        seconds["articles, analyses, incidents"] = time.perf_counter() - started

        started = time.perf_counter()
        _write_briefs(store, members, titles, progress)
        seconds["briefs"] = time.perf_counter() - started

        started = time.perf_counter()
        _review_activity(store, members, pyrandom)
        seconds["review activity"] = time.perf_counter() - started
    return Generated(members, seconds)


def _write_batch(store, pending, pyrandom, rng, members, titles) -> None:
    with store.transaction() as db:
        assignments = {}
        for incident_id, size, values in pending:
            ids: list[int] = []
            for _ in range(size):
                copy_of = pyrandom.choice(ids) if ids and pyrandom.random() < 0.08 else None
                language = pyrandom.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]
                if copy_of is not None:  # a syndicated copy: same text and analysis, another outlet
                    original = store.get_article(copy_of)
                    language, text = original.language, original.text
                    analysis = json.loads(
                        db.execute("SELECT result FROM analyses WHERE article_id = ?", (copy_of,)).fetchone()[
                            0
                        ]
                    )
                else:
                    written = compose(pyrandom, language, values, pyrandom.randint(1500, 6000))
                    text = written.text
                    analysis = {
                        "language": language, "entities": written.entities, "quotes": written.quotes,
                        "dates": written.dates, "money": written.money, "requirements": written.requirements,
                        "actors": [{"canonical": values["actor"], "kb_id": None, "aliases": []}],
                        "segments": [], "notes": [], "pipeline": "synthetic",
                    }  # fmt: skip
                outlet = pyrandom.choice(OUTLETS[language])
                domain = (
                    re.sub(r"[^a-z]", "", outlet.lower().replace("é", "e").replace("ü", "ue")) + ".example"
                )
                day = values["start"] + np.timedelta64(int(rng.exponential(2.5) * 24 * 60), "m")
                url = f"https://www.{domain}/{incident_id}/{len(ids)}"
                article = Article(
                    url=url,
                    text=text,
                    title=f"{titles[incident_id]} ({outlet})",
                    published=f"{day}:00+00:00",
                    language=language,
                    site_name=outlet,
                    content_hash=content_hash(text),
                    fetched_at="2026-11-28T00:00:00+00:00",
                )
                article_id = store.write_article(db, article, url)
                if copy_of is not None:
                    store.link_duplicate(db, article_id, copy_of, "exact")
                store.write_analysis(db, article_id, "synthetic", article.content_hash, analysis)
                ids.append(article_id)
                assignments[article_id] = (incident_id, "model")
            members[incident_id] = ids
        store.write_memberships(db, assignments, {i: titles[i] for i, _, _ in pending})


def _write_briefs(store: Store, members: dict[str, list[int]], titles: dict[str, str], progress) -> None:
    scratch = Store(":memory:")  # sentence vectors: needed to build briefs, never read by the pages
    scratch.db.execute("PRAGMA foreign_keys = OFF")  # its articles are in the other database
    builder = BriefBuilder(store, SentenceIndex(scratch, HashingEmbedder(), GeneratedSentences()))
    rows = []
    for number, (incident_id, ids) in enumerate(members.items(), 1):
        brief = builder.build(IncidentInput(incident_id, ids, titles[incident_id]), now_iso())
        data = json.dumps(brief.to_dict(), ensure_ascii=False)
        rows.append((incident_id, brief.generated_at, data))
        if len(rows) == 200 or number == len(members):
            with (
                store.transaction() as db
            ):  # as `brief summarize` keeps them (briefs/corrections.py, history.py)
                db.executemany(
                    "INSERT OR REPLACE INTO review_briefs (incident_id, generated_at, brief) "
                    "VALUES (?, ?, ?)",
                    rows,
                )
                db.executemany(
                    "INSERT INTO brief_snapshots (incident_id, generated_at, brief) VALUES (?, ?, ?)", rows
                )
            with scratch.transaction() as db:
                db.execute("DELETE FROM brief_sentences")
            rows = []
            progress(f"briefs: {number}")
    scratch.close()


def _review_activity(store: Store, members: dict[str, list[int]], rng: random.Random) -> None:
    ids = list(members)
    for incident_id in rng.sample(ids, len(ids) * 15 // 100):
        status = rng.choices(corrections.STATUSES[1:], weights=(5, 3, 1))[0]
        corrections.set_status(store, incident_id, status, actor="analyst")
    for incident_id in rng.sample(ids, len(ids) * 2 // 100):
        corrections.edit_headline(store, incident_id, f"Reviewed: {incident_id}", "", actor="analyst")
    several = [i for i in ids if len(members[i]) > 2]
    with store.transaction() as db:
        for n in range(len(ids) // 25):  # 400 at 10,000 incidents
            incident_id = rng.choice(several)
            article = rng.choice(members[incident_id])
            if n % 8 == 0:  # a merge: every member set to the incident, some from the one merged in
                other = rng.choice(ids)
                changes = {
                    "set": {str(a): incident_id for a in members[incident_id]},
                    "before": {
                        str(a): (other if a == article else incident_id) for a in members[incident_id]
                    },
                }
                store.add_decision(db, "merge", incident_id, other, changes, "analyst")
            elif n % 3 == 0:
                changes = {"set": {str(article): incident_id}, "before": {str(article): incident_id}}
                store.add_decision(db, "pin", incident_id, None, changes, "analyst")
            else:
                other = rng.choice(ids)
                changes = {"set": {str(article): incident_id}, "before": {str(article): other}}
                store.add_decision(db, "move", incident_id, other, changes, "analyst")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.path.exists():
        parser.error(f"{args.path} exists: give a new path")
    generated = generate(
        args.path, articles=args.articles, incidents=args.incidents, seed=args.seed,
        progress=lambda message: print(message, file=sys.stderr),
    )  # fmt: skip
    for phase, seconds in generated.seconds.items():
        print(f"{phase}: {seconds:.0f} s")
    print(f"{args.path}: {args.path.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
