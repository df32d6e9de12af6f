"""Incidents over the store: `cluster_store` (`brief cluster`), the listing and export, and the analyst
decisions (merge, split, move, pin, undo) that every later run respects, also with `--rebuild`.

Decisions are stored with who made them and when, take effect at once, and become locks: each sets
some articles to an incident id. The latest active decision about an article wins; the model never
moves a locked article, never merges two incidents locked to different ids, and a merge keeps the
locked id. Undoing a decision puts its articles back where they were, unless a later decision moved
them since. The review web app calls these functions as the CLI does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from incident_brief.config import ClusterSettings
from incident_brief.corpus.store import Store
from incident_brief.errors import UsageError
from incident_brief.nlp.clustering import (
    FEATURES_VERSION,
    ArticleFeatures,
    Clusterer,
    Weights,
    analysis_dates,
    analysis_entities,
    analysis_specifics,
    article_terms,
    day_ordinals,
    default_incident_id,
    lead_of,
    tfidf,
)
from incident_brief.nlp.embeddings import Embedder, load_embedder

Progress = Callable[[str, int], None] | None


@dataclass
class ClusterReport:
    embedder: str
    rebuild: bool
    featurized: int = 0  # articles described (new, changed, newly analysed, older features version)
    embedded: int = 0  # of these, articles embedded: new or changed text, or another embedder
    without_analysis: int = 0  # clustered without entities and mentioned dates: no analysis yet
    skipped_empty: int = 0  # neither title nor text
    clustered: int = 0  # articles placed in this run
    refined: int = 0  # articles a refinement pass moved
    incidents: int = 0
    new_incidents: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IncidentSummary:
    id: str
    title: str
    size: int
    languages: list[str]
    first_seen: str | None
    last_seen: str | None
    articles: list[dict]  # {id, external_id}

    def to_dict(self) -> dict:
        return asdict(self)


# Features


def check_embedder(store: Store, name: str, *, rebuild: bool) -> bool:
    """Embeddings from two models are never mixed: another model's are refused, unless this is a rebuild,
    which re-embeds everything (True: the stored features are to be dropped)."""
    others = {other: n for other, n in store.feature_embedders().items() if other != name}
    if not others or rebuild:
        return bool(others)
    other, count = max(others.items(), key=lambda item: item[1])
    raise UsageError(
        f"{store.path}: {count} articles were embedded with {other!r}, but [cluster] embedder is {name!r}; "
        f"run `brief cluster --rebuild` to re-embed them with {name!r}, or set embedder = {other!r}"
    )


def featurize_store(
    store: Store, embedder: Embedder, *, batch_size: int = 32, progress: Progress = None
) -> tuple[int, int]:
    """Describe every article without current features, embedding those without current vectors;
    returns how many were described and how many of them embedded."""
    ids = store.articles_to_featurize(embedder.name, FEATURES_VERSION)
    embedded = 0
    if progress:
        progress("total", len(ids))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        articles = [store.get_article(i) for i in chunk]
        analysed = store.analysis_times(chunk)
        titles = [(a.title or "").strip() for a in articles]
        texts = [(a.text or "").strip() for a in articles]
        # An article with only a title is described by its title throughout.
        leads = [lead_of(text) or title for title, text in zip(titles, texts, strict=True)]
        bodies = [text or title for title, text in zip(titles, texts, strict=True)]
        firsts = [title or lead for title, lead in zip(titles, leads, strict=True)]
        vectors = store.current_vectors(chunk, embedder.name)
        todo = [k for k, i in enumerate(chunk) if i not in vectors]
        if todo:
            embedded += len(todo)
            fresh = np.stack(
                [embedder.embed([part[k] for k in todo]) for part in (firsts, leads, bodies)], axis=1
            )
            vectors.update({chunk[k]: fresh[j].astype(np.float32).tobytes() for j, k in enumerate(todo)})
        rows = []
        for k, article in enumerate(articles):
            analysis = store.get_analysis(article.id) if article.id in analysed else None
            entities = analysis_entities(analysis)
            rows.append(
                (
                    article.id,
                    embedder.name,
                    embedder.dimension,
                    article.content_hash,
                    analysed.get(article.id),
                    vectors[article.id],
                    json.dumps(article_terms(titles[k], texts[k], entities), ensure_ascii=False),
                    json.dumps(
                        entities + analysis_specifics(analysis, titles[k], texts[k]), ensure_ascii=False
                    ),
                    json.dumps(analysis_dates(analysis, article.published)),
                    FEATURES_VERSION,
                )
            )
        with store.transaction() as db:
            store.write_features(db, rows)
        if progress:
            progress("advance", len(chunk))
    return len(ids), embedded


def load_features(
    store: Store,
    article_ids: list[int] | None = None,
    *,
    described: bool = True,
    frequencies: tuple[dict[str, int], int] | None = None,
) -> dict[int, ArticleFeatures]:
    """The stored features of the given articles (all when None). `described=False` reads only their
    vectors and the article's own fields (ArticleFeatures.described False): an incremental run
    compares a new article with a few members of a few incidents, so it describes those on demand
    rather than every stored article (at 100,000 articles, parsing them all took most of a run)."""
    df, documents = (frequencies or store.term_frequencies()) if described else ({}, 0)
    features = {}
    for row in store.iter_features(article_ids, described=described):
        # Held as float16 (cosines change by < 0.001): at 100,000 articles this halves the largest array.
        vectors = np.frombuffer(row["vectors"], dtype=np.float32).astype(np.float16).reshape(3, -1)
        features[row["article_id"]] = ArticleFeatures(
            id=row["article_id"],
            vectors=vectors,
            terms=tfidf(json.loads(row["terms"]), df, documents) if described else {},
            entities=frozenset(json.loads(row["entities"])) if described else frozenset(),
            dates=day_ordinals(json.loads(row["dates"]) if described else ()),
            described=described,
            key=row["url_key"],
            title=row["title"] or "",
            published=row["published"],
            language=row["language"],
            duplicate_of=row["duplicate_of"],
            analysed=row["analyzed_at"] is not None,
        )
    return features


# Clustering


def cluster_store(
    store: Store,
    settings: ClusterSettings,
    *,
    rebuild: bool = False,
    progress: Progress = None,
    embedder: Embedder | None = None,
) -> ClusterReport:
    """Embed what is new, then place every unplaced article (all of them with `rebuild`), refining
    every `settings.refine_every` articles; incidents keep their ids, decisions hold."""
    name = embedder.name if embedder is not None else settings.embedder
    stale = check_embedder(store, name, rebuild=rebuild)
    weights = Weights.load(settings.weights or None)
    embedder = embedder or load_embedder(name)
    if stale:  # only now that the new model loaded: a failure must not cost the stored embeddings
        with store.transaction() as db:
            store.delete_features(db)
    report = ClusterReport(embedder=name, rebuild=rebuild)
    redescribed = set(store.articles_to_featurize(name, FEATURES_VERSION))
    report.featurized, report.embedded = featurize_store(
        store, embedder, batch_size=settings.batch_size, progress=progress
    )
    locks = current_locks(store)
    previous = store.memberships()
    frequencies = store.term_frequencies()
    if rebuild or not previous:
        features = load_features(store, frequencies=frequencies)
    else:  # placed articles are described when the clustering compares them
        features = load_features(store, list(previous), described=False)
        new = [i for i in store.featured_article_ids() if i not in previous]
        features.update(load_features(store, new, frequencies=frequencies))
    clusterer = Clusterer(
        weights,
        dimension=embedder.dimension,
        candidates=settings.candidates,
        locks=locks,
        describe=lambda ids: load_features(store, ids, frequencies=frequencies),
    )
    usable = {i: f for i, f in features.items() if np.any(f.vectors)}
    report.skipped_empty = len(features) - len(usable)
    if not rebuild:
        restored = _in_order(usable[i] for i in previous if i in usable)
        clusterer.restore((a, locks.get(a.id, previous[a.id])) for a in restored)
    before = set(clusterer.incidents)
    pending = _in_order(f for i, f in usable.items() if rebuild or i not in previous)
    report.clustered = len(pending)
    if progress:
        progress("discovered", len(pending))
    # Placed articles described anew (analysed since, changed text) may no longer fit their incident:
    # refinement clusters those incidents' neighbourhoods again, as it does the contested ones.
    touched = {clusterer.assignment[i] for i in redescribed if i in clusterer.assignment}
    for position, article in enumerate(pending, 1):
        clusterer.add(article)
        if progress:
            progress("advance", 1)
        if position % settings.refine_every == 0:
            report.refined += clusterer.refine(touched)
            touched = set()
    report.refined += clusterer.refine(touched)
    assignment = dict(clusterer.assignment)
    if rebuild:
        assignment = _keep_previous_ids(assignment, previous, set(locks.values()))
    report.without_analysis = sum(1 for i in assignment if not usable[i].analysed)
    report.incidents = len(set(assignment.values()))
    report.new_incidents = len(set(assignment.values()) - set(previous.values()) - before)
    followers = {f for group in clusterer.followers.values() for f in group}
    sources = {
        i: (incident, "analyst" if i in locks else "duplicate" if i in followers else "model")
        for i, incident in assignment.items()
    }
    with store.transaction() as db:
        if rebuild:
            store.clear_memberships(db)
        store.write_memberships(db, sources, _titles(assignment, usable))
        store.record_cluster_run(db, rebuild=rebuild, report=report.to_dict())
    return report


def _in_order(articles) -> list[ArticleFeatures]:
    """Publication order (undated last), originals before their duplicates."""
    return sorted(articles, key=lambda a: (a.duplicate_of is not None, a.published or "9999", a.id))


def _keep_previous_ids(
    assignment: dict[int, str], previous: dict[int, str], locked: set[str]
) -> dict[int, str]:
    """After a rebuild each previous id goes to the new incident holding most of its articles."""
    overlap: dict[tuple[str, str], int] = {}
    for article_id, new in assignment.items():
        if new not in locked and article_id in previous:
            key = (new, previous[article_id])
            overlap[key] = overlap.get(key, 0) + 1
    renamed: dict[str, str] = {}
    used = set(locked)
    for (new, old), _ in sorted(overlap.items(), key=lambda item: (-item[1], item[0])):
        if new not in renamed and old not in used:
            renamed[new] = old
            used.add(old)
    taken = used | set(assignment.values())
    for new in set(assignment.values()) - locked - set(renamed):
        renamed[new] = new if new not in used else _fresh(new, taken)
        used.add(renamed[new])
    return {article_id: renamed.get(new, new) for article_id, new in assignment.items()}


def _fresh(base: str, taken: set[str]) -> str:
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    taken.add(f"{base}-{number}")
    return f"{base}-{number}"


def _titles(assignment: dict[int, str], features: dict[int, ArticleFeatures]) -> dict[str, str]:
    """Each incident is titled by its earliest report."""
    earliest: dict[str, ArticleFeatures] = {}
    for article_id, incident in assignment.items():
        article = features[article_id]
        current = earliest.get(incident)
        if current is None or (article.published or "9999", article.id) < (
            current.published or "9999",
            current.id,
        ):
            earliest[incident] = article
    return {incident: article.title for incident, article in earliest.items()}


# Listing


def list_incidents(store: Store) -> list[IncidentSummary]:
    summaries = []
    for row in store.incident_rows():
        ids = json.loads(row["article_ids"])
        external = json.loads(row["external_ids"])
        summaries.append(
            IncidentSummary(
                id=row["id"],
                title=row["title"] or "",
                size=row["size"],
                languages=sorted(set((row["languages"] or "").split(",")) - {""}),
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                articles=[
                    {"id": i, "external_id": e or None} for i, e in sorted(zip(ids, external, strict=True))
                ],
            )
        )
    return summaries


# Analyst decisions


@dataclass
class Decision:
    id: int
    kind: str
    incident_id: str
    other_id: str | None
    changes: dict
    actor: str
    created_at: str
    undone_at: str | None
    undone_by: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def current_locks(store: Store) -> dict[int, str]:
    """Article id -> incident id from the active decisions, later ones winning."""
    locks: dict[int, str] = {}
    for row in store.decisions():
        locks.update({int(a): i for a, i in json.loads(row["changes"])["set"].items()})
    return locks


def decisions(store: Store, *, include_undone: bool = True) -> list[Decision]:
    return [
        Decision(**{**dict(row), "changes": json.loads(row["changes"])})
        for row in store.decisions(include_undone=include_undone)
    ]


def merge_incidents(store: Store, target: str, source: str, *, actor: str) -> Decision:
    """Merge `source` into `target`; `target` keeps its id."""
    members = incident_members(store, target)
    if target == source:
        raise UsageError(f"cannot merge {target} with itself")
    moved = incident_members(store, source)
    changes = {a: target for a in members + moved}
    return _decide(store, "merge", target, source, changes, actor)


def split_incident(store: Store, incident_id: str, article_ids: list[int], *, actor: str) -> Decision:
    """Move `article_ids` out of `incident_id` into a new incident; the two are kept apart from now on."""
    members = incident_members(store, incident_id)
    strangers = sorted(set(article_ids) - set(members))
    if strangers:
        raise UsageError(f"article {strangers[0]} is not in {incident_id}")
    if not article_ids or set(article_ids) == set(members):
        raise UsageError(f"split {incident_id}: name some, not all, of its {len(members)} articles")
    founder = min(article_ids)
    key = store.query("SELECT url_key FROM articles WHERE id = ?", (founder,))[0][0]
    taken = store.incident_ids() | {d.incident_id for d in decisions(store)}
    new_id = default_incident_id(
        ArticleFeatures(founder, np.zeros((3, 1)), {}, frozenset(), np.zeros(0), key), taken
    )
    changes = {a: (new_id if a in article_ids else incident_id) for a in members}
    return _decide(store, "split", new_id, incident_id, changes, actor)


def move_article(store: Store, article_id: int, target: str, *, actor: str) -> Decision:
    """Move an article to `target`. The analyst has looked at both incidents: their other members are
    locked where they are too, as a split does, so a later run (also `--rebuild`) cannot regroup them
    around the moved article or merge the two incidents again."""
    target_members = incident_members(store, target)
    current = _incident_of(store, article_id)
    changes = {a: current for a in incident_members(store, current)} | {a: target for a in target_members}
    changes[article_id] = target
    return _decide(store, "move", target, current, changes, actor)


def pin_article(store: Store, article_id: int, *, actor: str) -> Decision:
    """Keep an article in its current incident whatever later runs find."""
    current = _incident_of(store, article_id)
    return _decide(store, "pin", current, None, {article_id: current}, actor)


def undo_decision(store: Store, decision_id: int, *, actor: str) -> Decision:
    """Undo a decision: its articles go back where they were unless a later decision moved them."""
    found = {d.id: d for d in decisions(store)}
    decision = found.get(decision_id)
    if decision is None:
        raise UsageError(f"no decision {decision_id} (see `brief incidents decisions`)")
    if decision.undone_at:
        raise UsageError(f"decision {decision_id} was already undone at {decision.undone_at}")
    later = {
        int(a) for d in found.values() if d.id > decision_id and not d.undone_at for a in d.changes["set"]
    }
    restore = {
        int(a): (incident, "model")
        for a, incident in decision.changes["before"].items()
        if int(a) not in later and incident
    }
    with store.transaction() as db:
        store.undo_decision(db, decision_id, actor)
        store.write_memberships(db, restore, _restored_titles(store, restore))
    return {d.id: d for d in decisions(store)}[decision_id]


def _decide(
    store: Store, kind: str, incident_id: str, other_id: str | None, changes: dict[int, str], actor: str
) -> Decision:
    if not actor.strip():
        raise UsageError("a decision needs the name of who made it")
    current = store.memberships()
    record = {
        "set": {str(a): i for a, i in changes.items()},
        "before": {str(a): current.get(a) for a in changes},
    }
    titles = {i: _title_of(store, i, changes) for i in set(changes.values())}
    with store.transaction() as db:
        decision_id = store.add_decision(db, kind, incident_id, other_id, record, actor)
        store.write_memberships(db, {a: (i, "analyst") for a, i in changes.items()}, titles)
    return {d.id: d for d in decisions(store)}[decision_id]


def incident_members(store: Store, incident_id: str) -> list[int]:
    """The article ids of one incident; an unknown id is a usage error naming `brief incidents`."""
    members = [a for a, i in store.memberships().items() if i == incident_id]
    if not members:
        raise UsageError(f"no incident {incident_id} (see `brief incidents`)")
    return members


def _incident_of(store: Store, article_id: int) -> str:
    incident = store.memberships().get(article_id)
    if incident is None:
        if store.get_article(article_id) is None:
            raise UsageError(f"no article {article_id}")
        raise UsageError(f"article {article_id} is in no incident yet; run `brief cluster` first")
    return incident


def _title_of(store: Store, incident_id: str, changes: dict[int, str]) -> str:
    rows = store.query("SELECT title FROM incidents WHERE id = ?", (incident_id,))
    if rows and rows[0][0]:
        return rows[0][0]
    first = min(a for a, i in changes.items() if i == incident_id)
    return store.get_article(first).title or ""


def _restored_titles(store: Store, restore: dict[int, tuple[str, str]]) -> dict[str, str]:
    return {
        incident: _title_of(store, incident, {a: i for a, (i, _) in restore.items()})
        for incident, _ in restore.values()
    }
