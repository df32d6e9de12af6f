"""The review web app (`brief serve`): Flask, server-rendered Jinja2 pages, one static script.

Every page reads the store afresh (one SQLite connection per request); every change is a POST with a
CSRF token, recorded with the reviewer's name and undoable. Incident membership changes are clustering
decisions (nlp/incidents.py, the same as `brief incidents ...`); content changes are corrections
(briefs/corrections.py). Both hold for later `brief cluster` and `brief summarize` runs.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from incident_brief.briefs import corrections, render_html, render_json, render_markdown, render_stix
from incident_brief.briefs.generate import file_stem
from incident_brief.briefs.model import Brief, Evidence, quotes_by_speaker, readable_time
from incident_brief.corpus.store import Store
from incident_brief.errors import StoreError, UsageError
from incident_brief.nlp.embeddings import DEFAULT_EMBEDDER
from incident_brief.review import queries, security

BRIEF_FORMATS = {  # name: (renderer, extension, media type)
    "md": (render_markdown.render, "md", "text/markdown; charset=utf-8"),
    "html": (render_html.render, "html", "text/html; charset=utf-8"),
    "json": (render_json.render, "json", "application/json"),
    "stix": (render_stix.render, "stix.json", "application/json"),
}
REQUIREMENT_FORMATS = {"csv": ("csv", "text/csv; charset=utf-8"), "oscal": ("oscal.json", "application/json")}
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id names nothing (and would not bind)
_NUMBER = re.compile(r"[0-9]{1,19}")


def create_app(
    db: Path,
    *,
    token: str | None = None,
    reviewer: str,
    embedder: str = DEFAULT_EMBEDDER,
    secret: bytes | None = None,
) -> Flask:
    """The app over database `db`. `token`: required on every request when given; `embedder`: the
    [cluster] embedder, loaded on the first "Rebuild brief"."""
    import secrets

    app = Flask(__name__)
    app.config.update(
        BRIEF_DB=Path(db), BRIEF_TOKEN=token or None, BRIEF_REVIEWER=reviewer, BRIEF_EMBEDDER=embedder
    )
    app.extensions["brief_embedder"] = _LazyEmbedder(embedder)
    app.secret_key = secret or secrets.token_bytes(32)  # sessions hold only the CSRF token
    app.jinja_env.autoescape = True  # every template, whatever its name: scraped text is always text
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["http_url"] = lambda url: (
        isinstance(url, str) and url.lower().startswith(("http://", "https://"))
    )
    app.jinja_env.globals["keys"] = lambda evidence: json.dumps(corrections.evidence_keys(evidence))
    app.jinja_env.globals["statuses"] = corrections.STATUSES
    app.jinja_env.filters["stamp"] = _stamp
    security.install(app)
    _routes(app)
    return app


def _store() -> Store:
    if "store" not in g:
        g.store = Store(g.db)
    return g.store


def _reviewer() -> str:
    return current_app.config["BRIEF_REVIEWER"]


def _routes(app: Flask) -> None:
    @app.before_request
    def remember_db():
        g.db = app.config["BRIEF_DB"]

    @app.teardown_request
    def close_store(_exc):
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = error.get_response()
        response.set_data(render_template("error.html", error=error))
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(UsageError)
    def refused(error: UsageError):
        return render_template("error.html", error=_Problem(400, "Bad Request", str(error))), 400

    @app.errorhandler(StoreError)
    def store_error(error: StoreError):
        return render_template("error.html", error=_Problem(503, "Database unavailable", str(error))), 503

    @app.get("/")
    def incident_list():
        page = queries.list_incidents(_store(), queries.ListQuery.from_args(request.args))
        return render_template("list.html", page=page, query=page.query)

    @app.get("/incidents/<incident_id>")
    def incident(incident_id: str):
        store = _store()
        title = queries.incident_title(store, incident_id)
        if title is None:
            abort(404, f"There is no incident {incident_id!r} (it may have been merged into another).")
        members = queries.members(store, incident_id)
        brief = _brief(store, incident_id, [m.id for m in members])
        numbers = {s.article_id: n for n, s in enumerate(brief.sources, 1)} if brief else {}
        # the brief's sources in its numbering ([1], [2], ...), then articles it does not cite yet
        members.sort(key=lambda m: (numbers.get(m.id, len(numbers) + 1), m.published is None, m.published))
        current = {m.id for m in members}
        cited = {s.article_id for s in brief.sources} if brief else current
        return render_template(
            "incident.html",
            incident_id=incident_id,
            title=brief.headline if brief else title,
            brief=brief,
            members=members,
            numbers=numbers,
            quote_speakers=quotes_by_speaker(brief.quotes) if brief else [],
            status=corrections.status_of(store, incident_id),
            log=_activity(store, incident_id, [m.id for m in members]),
            evidence_url=_evidence_url,
            article_url=_article_url,
            formats=[*BRIEF_FORMATS, *REQUIREMENT_FORMATS],
            stale={"added": sorted(current - cited), "gone": sorted(cited - current)},
            nearby=queries.nearby(store, incident_id),
        )

    @app.get("/incidents/<incident_id>/export/<name>")
    def export(incident_id: str, name: str):
        store = _store()
        if queries.incident_title(store, incident_id) is None:
            abort(404, f"There is no incident {incident_id!r}.")
        members = [m.id for m in queries.members(store, incident_id)]
        stem = file_stem(incident_id)
        if name in BRIEF_FORMATS:
            brief = _brief(store, incident_id, members)
            if brief is None:
                abort(404, f"Incident {incident_id!r} has no brief yet: run `brief summarize`.")
            render, extension, media = BRIEF_FORMATS[name]
            body = render(brief)
        elif name in REQUIREMENT_FORMATS:
            from incident_brief.briefs.requirements_export import iter_requirements, write_requirements

            extension, media = REQUIREMENT_FORMATS[name]
            found = corrections.corrections_for(store, incident_id, members)
            rows = corrections.corrected_requirement_rows(iter_requirements(store, set(members)), found)
            stream = io.StringIO()
            write_requirements(rows, name, stream)
            body = stream.getvalue()
        else:
            abort(404, f"No export format {name!r}.")
        return Response(
            body,
            mimetype=media.split(";")[0],
            content_type=media,
            headers={"Content-Disposition": f'attachment; filename="{stem}.{extension}"'},
        )

    @app.get("/articles/<int:article_id>")
    def article(article_id: int):
        store = _store()
        found = store.get_article(article_id) if article_id <= MAX_ID else None
        if found is None:
            abort(404, f"There is no article {article_id}.")
        marks = _highlights(request.args.getlist("hl"), len(found.text))
        incident_id = queries.incident_of(store, article_id)
        return render_template(
            "article.html",
            article=found,
            url=queries._shown_url(found.url, found.canonical_url),
            parts=_parts(found.text, marks),
            incident_id=incident_id,
            title=found.title or f"Article {article_id}",
        )

    @app.get("/articles/<int:article_id>.json")
    def article_json(article_id: int):
        found = _store().get_article(article_id) if article_id <= MAX_ID else None
        if found is None:
            abort(404, f"There is no article {article_id}.")
        url = queries._shown_url(found.url, found.canonical_url)
        return jsonify(
            id=found.id, title=found.title, outlet=found.site_name, language=found.language,
            published=found.published, url=url, text=found.text,
        )  # fmt: skip

    # Corrections: each a POST that redirects back (303) to the page it came from.

    def _done(incident_id: str, message: str, category: str = "ok"):
        flash(message, category)
        return redirect(url_for("incident", incident_id=incident_id), code=303)

    def _checked(incident_id: str) -> tuple[Store, list[int], Brief | None]:
        store = _store()
        if queries.incident_title(store, incident_id) is None:
            abort(404, f"There is no incident {incident_id!r}.")
        members = [m.id for m in queries.members(store, incident_id)]
        return store, members, _brief(store, incident_id, members)

    def _item(items, evidence_of, what: str):
        """The brief's item (summary sentence, quote group, requirement) the form's evidence names."""
        try:
            wanted = {tuple(key) for key in json.loads(request.form.get("evidence", ""))}
        except (ValueError, TypeError):
            abort(400, f"malformed evidence for the {what}")
        if not all(len(key) == 3 and all(type(x) is int for x in key) for key in wanted):
            abort(400, f"malformed evidence for the {what}")
        for item in items:
            keys = {(e.article_id, e.start, e.end) for e in evidence_of(item)}
            if keys == wanted or (what != "summary sentence" and keys & wanted):
                return item, sorted(list(k) for k in keys)
        abort(400, f"the {what} is no longer in this brief: reload the page")

    def _decision(incident_id: str, action, message):
        try:
            decision = action()
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        store = _store()
        for affected in {decision.incident_id, decision.other_id} - {None}:
            corrections.touch(store, affected)
        return _done(incident_id, message(decision))

    @app.post("/incidents/<incident_id>/status")
    def status(incident_id: str):
        store, _, _ = _checked(incident_id)
        try:
            corrections.set_status(store, incident_id, request.form.get("status", ""), actor=_reviewer())
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        return _done(incident_id, f"Status set to {request.form['status']}.")

    @app.post("/incidents/<incident_id>/headline")
    def headline(incident_id: str):
        store, _, brief = _checked(incident_id)
        previous = brief.headline if brief else queries.incident_title(store, incident_id) or ""
        try:
            corrections.edit_headline(
                store, incident_id, request.form.get("headline", ""), previous, actor=_reviewer()
            )
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        return _done(incident_id, "Headline changed.")

    @app.post("/incidents/<incident_id>/sentence")
    def sentence(incident_id: str):
        store, _, brief = _checked(incident_id)
        found, keys = _item(brief.summary if brief else [], lambda s: s.evidence, "summary sentence")
        try:
            correction = corrections.edit_sentence(
                store, incident_id, keys, request.form.get("text", ""), found.text, actor=_reviewer()
            )
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        return _done(
            incident_id, "Sentence removed." if not correction.value["text"] else "Sentence changed."
        )

    @app.post("/incidents/<incident_id>/speaker")
    def speaker(incident_id: str):
        store, _, brief = _checked(incident_id)
        group, keys = _item(brief.quotes if brief else [], lambda q: [r.evidence for r in q.reports], "quote")
        form = request.form
        try:
            corrections.set_speaker(
                store, incident_id, keys, form.get("name", ""), role=form.get("role", ""),
                employer=form.get("employer", ""), previous=group.speaker, quote=group.text,
                actor=_reviewer(),
            )  # fmt: skip
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        return _done(incident_id, "Speaker corrected.")

    @app.post("/incidents/<incident_id>/requirement/reject")
    def reject(incident_id: str):
        store, _, brief = _checked(incident_id)
        found, keys = _item(brief.requirements if brief else [], lambda r: r.evidence, "requirement")
        try:
            corrections.reject_requirement(
                store, incident_id, keys, found.statement or found.text,
                reason=request.form.get("reason", ""), actor=_reviewer(),
            )  # fmt: skip
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        return _done(incident_id, "Requirement rejected.")

    @app.post("/incidents/<incident_id>/requirement/edit")
    def edit_requirement(incident_id: str):
        store, _, brief = _checked(incident_id)
        found, keys = _item(brief.requirements if brief else [], lambda r: r.evidence, "requirement")
        previous = {"statement": found.statement or found.text, "controls": [c.id for c in found.controls]}
        try:
            corrections.edit_requirement(
                store, incident_id, keys, request.form.get("statement", ""),
                request.form.get("controls", "").replace(";", ",").split(","), previous=previous,
                actor=_reviewer(),
            )  # fmt: skip
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        return _done(incident_id, "Requirement changed.")

    @app.post("/incidents/<incident_id>/remove")
    def remove(incident_id: str):
        from incident_brief.nlp.incidents import split_incident

        store, members, _ = _checked(incident_id)
        article_id = _article_field(members)
        return _decision(
            incident_id,
            lambda: split_incident(store, incident_id, [article_id], actor=_reviewer()),
            lambda d: f"Article {article_id} removed: it is now incident {d.incident_id}.",
        )

    @app.post("/incidents/<incident_id>/move")
    def move(incident_id: str):
        from incident_brief.nlp.incidents import move_article

        store, members, _ = _checked(incident_id)
        article_id = _article_field(members)
        target = request.form.get("target", "").strip()
        if target == incident_id:
            return _done(incident_id, f"Article {article_id} is already in {incident_id}.", "error")
        return _decision(
            incident_id,
            lambda: move_article(store, article_id, target, actor=_reviewer()),
            lambda d: f"Article {article_id} moved to incident {d.incident_id}.",
        )

    @app.post("/incidents/<incident_id>/merge")
    def merge(incident_id: str):
        from incident_brief.nlp.incidents import merge_incidents

        store, _, _ = _checked(incident_id)
        other = request.form.get("other", "").strip()
        return _decision(
            incident_id,
            lambda: merge_incidents(store, incident_id, other, actor=_reviewer()),
            lambda d: f"Incident {other} merged into this one.",
        )

    @app.post("/incidents/<incident_id>/split")
    def split(incident_id: str):
        from incident_brief.nlp.incidents import split_incident

        store, members, _ = _checked(incident_id)
        chosen = sorted({_number(a, "article id") for a in request.form.getlist("article")})
        return _decision(
            incident_id,
            lambda: split_incident(store, incident_id, chosen, actor=_reviewer()),
            lambda d: f"{len(chosen)} article(s) split off into incident {d.incident_id}.",
        )

    @app.post("/incidents/<incident_id>/rebuild")
    def rebuild(incident_id: str):
        store, members, _ = _checked(incident_id)
        embedder = app.extensions["brief_embedder"].get()
        rebuild_brief(store, embedder, incident_id, members, queries.incident_title(store, incident_id))
        corrections.touch(store, incident_id)
        return _done(incident_id, "Brief rebuilt from the incident's current articles.")

    @app.post("/incidents/<incident_id>/undo")
    def undo(incident_id: str):
        from incident_brief.nlp.incidents import undo_decision

        store, members, _ = _checked(incident_id)
        field = "correction" if request.form.get("correction") else "decision"
        if not request.form.get(field):
            abort(400, "nothing to undo")
        entry_id = _number(request.form[field], f"{field} id")
        # only what this incident's activity log shows: a stale page never undoes another incident's work
        logged = {(e["field"], e["id"]) for e in _activity(store, incident_id, members)}
        if (field, entry_id) not in logged:
            return _done(incident_id, f"No {field} {entry_id} in this incident's activity log.", "error")
        try:
            if field == "correction":
                undone = corrections.undo_correction(store, entry_id, actor=_reviewer())
                message = f"Undone: {undone.actor} {undone.description}."
            else:
                decision = undo_decision(store, entry_id, actor=_reviewer())
                for affected in {decision.incident_id, decision.other_id} - {None}:
                    corrections.touch(store, affected)
                message = f"Undone: {decision.kind} by {decision.actor}."
        except UsageError as exc:
            return _done(incident_id, str(exc), "error")
        if queries.incident_title(store, incident_id) is None:  # an undone split: the incident is gone
            flash(message, "ok")
            return redirect(url_for("incident_list"), code=303)
        return _done(incident_id, message)


@dataclass
class _Problem:
    code: int
    name: str
    description: str


def _number(value: str, what: str) -> int:
    """A posted id: ASCII digits within SQLite's integers (int() would take "٣" or "1_0"), else 400."""
    value = value.strip()
    if not _NUMBER.fullmatch(value) or int(value) > MAX_ID:
        abort(400, f"malformed {what}")
    return int(value)


def _article_field(members: list[int]) -> int:
    article_id = _number(request.form.get("article", ""), "article id")
    if article_id not in members:
        abort(400, f"article {article_id} is not in this incident")
    return article_id


def _brief(store: Store, incident_id: str, members: list[int]) -> Brief | None:
    brief = corrections.machine_brief(store, incident_id)
    if brief is None:
        return None
    article_ids = set(members) | {s.article_id for s in brief.sources}
    found = corrections.corrections_for(store, incident_id, article_ids)
    return corrections.corrected(brief, found, in_place=True)  # just read: nobody else holds it


def _stamp(value: str | None) -> str:
    return readable_time(value, seconds=True)


def _article_url(article_id: int) -> str:
    # url_for costs ~15 µs a call: a hundred-article incident's page links articles thousands of times
    return f"{request.script_root}/articles/{int(article_id)}"


def _evidence_url(evidence: Evidence) -> str:
    return f"{_article_url(evidence.article_id)}?hl={int(evidence.start)}-{int(evidence.end)}#ev"


def _highlights(values: list[str], length: int) -> list[tuple[int, int]]:
    marks = []
    for value in values[:20]:
        start, _, end = value.partition("-")
        if _NUMBER.fullmatch(start) and _NUMBER.fullmatch(end) and 0 <= int(start) < int(end) <= length:
            marks.append((int(start), int(end)))
    return sorted(marks)


def _parts(text: str, marks: list[tuple[int, int]]) -> list[tuple[str, str | None]]:
    """The text cut into runs: (piece, None) plain, (piece, "ev") the first highlight, (piece, "") the
    others; overlapping highlights are joined."""
    parts: list[tuple[str, str | None]] = []
    position = 0
    for start, end in marks:
        start = max(start, position)
        if end <= start:
            continue
        first = not any(mark is not None for _, mark in parts)
        parts += [(text[position:start], None), (text[start:end], "ev" if first else "")]
        position = end
    parts.append((text[position:], None))
    return [p for p in parts if p[0]]


def _activity(store: Store, incident_id: str, members: list[int]) -> list[dict]:
    """Corrections, clustering decisions and rebuilds bearing on the incident, newest first."""
    entries = []
    for c in corrections.corrections_for(store, incident_id, members, include_undone=True):
        entries.append(
            {
                "when": c.created_at, "actor": c.actor, "what": c.description, "detail": _detail(c),
                "undone": c.undone_at and f"undone {_stamp(c.undone_at)} by {c.undone_by}",
                "field": "correction", "id": c.id,
            }
        )  # fmt: skip
    for d in queries.decisions_about(store, incident_id, members):
        entries.append(
            {
                "when": d["created_at"], "actor": d["actor"], "what": _decision_text(d), "detail": "",
                "undone": d["undone_at"] and f"undone {_stamp(d['undone_at'])} by {d['undone_by']}",
                "field": "decision", "id": d["id"],
            }
        )  # fmt: skip
    for run in store.rebuild_runs():  # a rebuild regroups every incident: it bears on each of them
        report = run["report"]
        entries.append(
            {
                "when": run["finished_at"], "actor": "brief cluster --rebuild",
                "what": "regrouped every incident from scratch",
                "detail": f"{report.get('clustered', 0)} articles in {report.get('incidents', 0)} incidents; "
                "analysts' decisions kept",
                "undone": None, "field": "rebuild", "id": run["id"],
            }
        )  # fmt: skip
    return sorted(entries, key=lambda e: (e["when"], e["field"], e["id"]), reverse=True)


def _detail(c: corrections.Correction) -> str:
    value, previous = c.value, c.previous
    if c.kind == "status":
        return f"{previous.get('status', 'new')} → {value['status']}"
    if c.kind in ("headline", "sentence"):
        return (
            f"“{previous.get('text', '')}” → “{value['text']}”"
            if value["text"]
            else f"removed “{previous['text']}”"
        )
    if c.kind == "speaker":
        quote = previous.get("quote", "")
        which = f"“{quote[:80]}{'…' if len(quote) > 80 else ''}”: " if quote else ""
        return f"{which}{previous.get('name') or 'unattributed'} → {value.get('name') or 'unattributed'}"
    if c.kind == "reject":
        return previous.get("statement", "") + (f" ({value['reason']})" if value.get("reason") else "")
    if c.kind == "requirement":
        return f"{value['statement']} [{', '.join(value['controls'])}]"
    return ""


def _decision_text(d: dict) -> str:
    kind, incident, other, changes = d["kind"], d["incident_id"], d["other_id"], d["changes"]["set"]
    if kind == "merge":
        return f"merged {other} into {incident}"
    if kind == "split":
        moved = sum(1 for i in changes.values() if i == incident)
        return f"split {moved} article(s) of {other} into {incident}"
    if kind == "move":  # the moved article is the one that changed incident; the others are locked
        before = d["changes"]["before"]
        moved = next((a for a, i in changes.items() if before.get(a) != i), next(iter(changes)))
        return f"moved article {moved} from {other} to {incident}"
    if kind == "pin":
        return f"pinned {len(changes)} article(s) to {incident}"
    return f"{kind} {incident}"


class _LazyEmbedder:
    """The embedder briefs are built with, loaded once, on first use (seconds), by one thread."""

    def __init__(self, name: str) -> None:
        import threading

        self.name = name
        self.loaded = None
        self.lock = threading.Lock()

    def get(self):
        with self.lock:
            if self.loaded is None:
                from incident_brief.nlp.embeddings import load_embedder

                self.loaded = load_embedder(self.name)
            return self.loaded


def rebuild_brief(
    store: Store, embedder, incident_id: str, members: list[int], title: str | None
) -> Brief | None:
    """Build the incident's brief again from its current articles, as `brief summarize` does (with the
    corrections, snapshotted), without writing files."""
    from incident_brief.briefs import history
    from incident_brief.briefs.build import BriefBuilder, IncidentInput
    from incident_brief.briefs.vectors import SentenceIndex
    from incident_brief.corpus.store import now_iso

    previous = history.latest(store, incident_id)
    builder = BriefBuilder(
        store, SentenceIndex(store, embedder), language=previous.language if previous else "en"
    )
    brief = builder.build(IncidentInput(incident_id, members, title), now_iso())
    if brief is None:
        return None
    brief = corrections.apply_corrections(store, brief)
    brief.changes = history.changes_since(previous, brief)
    history.save(store, brief)
    return brief
