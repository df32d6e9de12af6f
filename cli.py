"""The `brief` command: a thin click layer over the library (docs/cli.md documents every command).

Exit codes: 0 success; 1 some sources or items failed (the rest was stored); 2 bad usage or
configuration; 3 the database cannot be used; 130 interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from incident_brief import __version__
from incident_brief.config import CONFIG_TEMPLATE, DEFAULT_CONFIG, Settings, SourceConfig, load_settings
from incident_brief.errors import BriefError, UsageError

EXIT_PARTIAL = 1
EXIT_INTERRUPTED = 130


class BriefGroup(click.Group):
    """Turns expected errors into one line on stderr and their exit code; never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BriefError as exc:
            click.echo(f"brief: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("brief: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=BriefGroup)
@click.version_option(__version__, prog_name="brief")
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), help="Database file [default: ./brief.db]."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file [default: ./brief.toml if present].",
)
@click.pass_context
def main(ctx: click.Context, db: Path | None, config_path: Path | None) -> None:
    """Turn news coverage of security incidents into evidence-bound briefs."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    ctx.obj["config_path"] = config_path


@contextlib.contextmanager
def _progress_bar(label: str, *, show: bool):
    """A progress bar on stderr when it is a terminal, yielding the callback the library functions take:
    ("total", n) sets the total, ("discovered", n) adds to it, anything else advances; else None."""
    console = Console(stderr=True)
    if not (show and console.is_terminal):
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=0)

        def progress(event: str, count: int) -> None:
            if event == "total":
                bar.update(task, total=count)
            elif event == "discovered":
                bar.update(task, total=bar.tasks[0].total + count)
            else:
                bar.advance(task, count)

        yield progress


def _settings(ctx: click.Context) -> Settings:
    return load_settings(ctx.obj["config_path"], db=ctx.obj["db"])


def _open_store(settings: Settings, *, readonly: bool = False):
    from incident_brief.corpus.store import Store

    return Store(settings.db, readonly=readonly)


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG)
def init(path: Path, force: bool) -> None:
    """Write a commented brief.toml to PATH [default: ./brief.toml]."""
    if path.exists() and not force:
        raise UsageError(f"{path} exists; use --force to overwrite it")
    try:
        path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    click.echo(f"wrote {path}")


@main.command()
@click.option(
    "--source", "source_names", multiple=True, metavar="NAME", help="Only this source from brief.toml."
)
@click.option("--url", "urls", multiple=True, metavar="URL", help="A page to collect.")
@click.option(
    "--url-file",
    "url_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A file with one URL per line.",
)
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="An RSS or Atom feed.")
@click.option(
    "--sitemap",
    "sitemaps",
    multiple=True,
    metavar="URL",
    help="A sitemap, sitemap index, or a site root / robots.txt declaring sitemaps.",
)
@click.option(
    "--path",
    "paths",
    multiple=True,
    type=click.Path(exists=True),
    help="A local HTML or plain-text (.txt) file, or a directory of them (recursive).",
)
@click.option(
    "--jsonl",
    "jsonl_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Articles as JSON Lines: {id, url?, title, text, published?, lang?, source?}.",
)
@click.option("--allow-private", is_flag=True, help="Allow private, loopback and link-local addresses.")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD).")
@click.option("--max-articles", type=click.IntRange(min=1), metavar="N", help="Stop after N new articles.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def collect(
    ctx,
    source_names,
    urls,
    url_files,
    feeds,
    sitemaps,
    paths,
    jsonl_files,
    allow_private,
    since,
    max_articles,
    as_json,
) -> None:
    """Collect articles from sources into the database.

    With no source options, collects the sources in brief.toml (all, or those named by --source).
    """
    from dataclasses import replace

    from incident_brief.corpus.collect import collect as run_collect
    from incident_brief.corpus.sources import normalize_date

    settings = _settings(ctx)
    if since is not None and normalize_date(since) is None:
        raise UsageError(f"--since: not a date (YYYY-MM-DD): {since!r}")
    if allow_private:
        settings = replace(settings, fetch=replace(settings.fetch, allow_private=True))
    given = [
        (kind, value)
        for kind, values in (
            ("url", urls),
            ("url_file", url_files),
            ("feed", feeds),
            ("sitemap", sitemaps),
            ("path", paths),
            ("jsonl", jsonl_files),
        )
        for value in values
    ]
    if given:
        if source_names:
            raise UsageError(
                "--source selects sources from brief.toml; do not combine it with source options"
            )
        sources = [SourceConfig(name=value, kind=kind, location=value) for kind, value in given]
    else:
        sources = list(settings.sources)
        if source_names:
            known = {s.name for s in sources}
            unknown = [n for n in source_names if n not in known]
            if unknown:
                raise UsageError(
                    f"unknown source {unknown[0]!r} (brief.toml has: {', '.join(sorted(known)) or 'none'})"
                )
            sources = [s for s in sources if s.name in source_names]
        if not sources:
            raise UsageError(
                "no sources: give --url/--feed/--sitemap/--path/... or add [[sources]] to brief.toml"
            )
    _check_urls(given)

    with _open_store(settings) as store, _progress_bar("collecting", show=not as_json) as progress:
        report = run_collect(
            store, settings, sources, since=since, max_articles=max_articles, progress=progress
        )
        total = store.count_articles()

    if as_json:
        click.echo(json.dumps({**report.to_dict(), "articles_in_store": total}, ensure_ascii=False))
    else:
        _print_collect_report(report, total, settings.db)
    if report.interrupted:
        click.echo("brief: interrupted; what was collected is stored, run again to resume", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    if report.failures:
        ctx.exit(EXIT_PARTIAL)


def _check_urls(given: list[tuple[str, str]]) -> None:
    for kind, value in given:
        if kind in ("url", "feed", "sitemap") and not value.lower().startswith(("http://", "https://")):
            raise UsageError(f"--{kind.replace('_', '-')}: not an http(s) URL: {value!r}")


def _print_collect_report(report, total: int, db: Path) -> None:
    console = Console()
    table = Table(title="Collected", show_lines=False)
    columns = ["source", "found", "fetched", "new", "updated", "dups", "unchanged", "304", "cached", "failed"]
    for column in columns:
        table.add_column(column, justify="left" if column == "source" else "right")
    rows = [s.to_dict() for s in report.sources] + ([report.totals()] if len(report.sources) > 1 else [])
    for row in rows:
        failed = ", ".join(f"{reason} {n}" for reason, n in sorted(row["failed"].items())) or "0"
        table.add_row(
            row["name"],
            *(
                str(row[k])
                for k in (
                    "discovered",
                    "fetched",
                    "new",
                    "updated",
                    "duplicates",
                    "unchanged",
                    "not_modified",
                    "cached",
                )
            ),
            failed,
        )
    console.print(table)
    for failure in report.failures[:20]:
        console.print(
            f"  failed: {failure.url}: {failure.reason}: {failure.detail}", markup=False, highlight=False
        )
    if len(report.failures) > 20:
        console.print(f"  ... and {len(report.failures) - 20} more (use --json for all)")
    console.print(f"{total} articles in {db}", markup=False, highlight=False)


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--url", "base_url", metavar="URL", help="The page's URL, for a local file (resolves links).")
@click.option("--allow-private", is_flag=True, help="Allow private, loopback and link-local addresses.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input (the default).")
@click.pass_context
def extract(ctx, inputs, base_url, allow_private, as_json) -> None:
    """Print the extraction of each file or URL as JSON Lines, without touching the database."""
    from dataclasses import replace

    from incident_brief.corpus.extract import Extractor
    from incident_brief.corpus.fetch import Fetcher, FetchError
    from incident_brief.corpus.language import LanguageIdentifier
    from incident_brief.corpus.sources import local_media_type

    settings = _settings(ctx)
    if allow_private:
        settings = replace(settings, fetch=replace(settings.fetch, allow_private=True))
    extractor = Extractor(LanguageIdentifier())
    failed = False

    async def fetch(url: str):
        async with Fetcher(settings.fetch) as fetcher:
            return await fetcher.fetch(url, accept="html")

    for item in inputs:
        path = Path(item)
        try:
            if path.is_file():
                content, url = path.read_bytes(), base_url or path.resolve().as_uri()
                media_type = local_media_type(path)
            elif item.lower().startswith(("http://", "https://")):
                result = asyncio.run(fetch(item))
                content, url, media_type = result.content, result.final_url, result.content_type
            else:
                raise UsageError(f"{item}: no such file, and not an http(s) URL")
        except FetchError as exc:
            click.echo(f"brief: {exc}", err=True)
            failed = True
            continue
        except OSError as exc:
            click.echo(f"brief: {item}: {exc.strerror}", err=True)
            failed = True
            continue
        extraction = extractor.extract(content, url, media_type)
        click.echo(json.dumps(extraction.to_dict(), ensure_ascii=False))
    if failed:
        ctx.exit(EXIT_PARTIAL)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="JSON Lines with the full text.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many articles.")
@click.pass_context
def articles(ctx, as_json: bool, limit: int | None) -> None:
    """List stored articles."""
    settings = _settings(ctx)
    keys = (
        "id",
        "external_id",
        "url",
        "canonical_url",
        "title",
        "authors",
        "published",
        "language",
        "site_name",
        "duplicate_of",
        "text",
    )
    with _open_store(settings, readonly=True) as store:
        if as_json:
            for article in store.iter_articles(limit=limit):
                data = article.to_dict()
                click.echo(json.dumps({k: data[k] for k in keys}, ensure_ascii=False))
            return
        table = Table()
        for column in ("id", "published", "lang", "site", "title", "duplicate of"):
            table.add_column(column)
        for article in store.iter_articles(limit=limit):
            table.add_row(
                str(article.id),
                (article.published or "")[:10],
                article.language or "",
                article.site_name or "",
                (article.title or "")[:80],
                f"{article.duplicate_of} ({article.duplicate_kind})" if article.duplicate_of else "",
            )
        Console().print(table)


@main.command()
@click.option("--all", "everything", is_flag=True, help="Re-analyse every stored article.")
@click.option(
    "--text",
    "text_file",
    type=click.File("rb"),
    metavar="FILE|-",
    help="Analyse one text (a file, or - for standard input) and print its JSON; no database.",
)
@click.option(
    "--jsonl",
    "jsonl_file",
    type=click.File("rb"),
    metavar="FILE|-",
    help="Analyse {id, text, lang?, published?} per line, printing one result per line; no database.",
)
@click.option("--lang", metavar="CODE", help="With --text: the text's language (ISO 639-1), not detected.")
@click.option("--published", metavar="DATE", help="With --text: the publication date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def analyze(ctx, everything, text_file, jsonl_file, lang, published, as_json) -> None:
    """Extract entities, threat actors and roles.

    From the stored articles (new or changed ones; all with --all), or from one text (--text) or
    JSON Lines (--jsonl) without touching the database.
    """
    from incident_brief.corpus.sources import normalize_date
    from incident_brief.nlp.analysis import Analyzer, analyze_store

    settings = _settings(ctx)
    if text_file and jsonl_file:
        raise UsageError("give --text or --jsonl, not both")
    if lang is not None and not re.fullmatch(r"[a-z]{2,3}", lang):
        raise UsageError(f"--lang: not a language code (ISO 639-1, e.g. de): {lang!r}")
    if published is not None and normalize_date(published) is None:
        raise UsageError(f"--published: not a date (YYYY-MM-DD): {published!r}")
    analyzer = Analyzer(settings.nlp)
    if text_file is not None:
        text = _decode_input(text_file.read())
        result = analyzer.analyze(
            text, language=lang, published=normalize_date(published) if published else None
        )
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    if jsonl_file is not None:
        if _analyze_jsonl(analyzer, jsonl_file):
            ctx.exit(EXIT_PARTIAL)
        return
    with _open_store(settings) as store, _progress_bar("analysing", show=not as_json) as progress:
        report = analyze_store(store, analyzer, everything=everything, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        languages = ", ".join(f"{k} {v}" for k, v in sorted(report.languages.items())) or "none"
        click.echo(
            f"analysed {report.analyzed} articles ({languages}); {report.up_to_date} already up to date"
        )


def _decode_input(data: bytes) -> str:
    """Texts are UTF-8; other bytes become replacement characters rather than an error."""
    return data.decode("utf-8", errors="replace").replace("\x00", "")


def _analyze_jsonl(analyzer, stream) -> bool:
    """Analyse each good line, report each bad one; True when some line was bad."""
    from incident_brief.corpus.sources import normalize_date
    from incident_brief.nlp.analysis import TextItem

    failed = False
    items = []
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(_decode_input(raw))
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError("needs a JSON object with a string 'text'")
        except ValueError as exc:
            click.echo(f"brief: line {number}: {exc}", err=True)
            failed = True
            continue
        published = record.get("published")
        items.append(
            TextItem(
                record["text"],
                None if record.get("id") is None else str(record["id"]),
                record.get("lang") if isinstance(record.get("lang"), str) else None,
                normalize_date(published) if isinstance(published, str) else None,
            )
        )
    for result in analyzer.analyze_many(items):
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    return failed


@main.group()
def catalogs() -> None:
    """The threat-actor, software and product catalogs used to find and resolve security entities."""


@catalogs.command("refresh")
@click.option(
    "--attack",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="ATT&CK Enterprise in the compact JSON form (see docs/cli.md).",
)
@click.option(
    "--microsoft",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Microsoft's threat actor naming table (MicrosoftMapping.json).",
)
@click.option(
    "--products",
    type=click.Path(exists=True, dir_okay=False),
    help="A curated products.json [default: the shipped one].",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("catalogs"),
    show_default=True,
    help="Where to write the catalog.",
)
def catalogs_refresh(attack, microsoft, products, out_dir: Path) -> None:
    """Rebuild the catalog from newer ATT&CK and Microsoft files into OUT.

    Use it by setting `[nlp] catalog_dir` in brief.toml to OUT; the next `brief analyze` redoes the
    articles with it.
    """
    from incident_brief.models.catalogs import build_catalog, write_catalog

    catalog = build_catalog(attack, microsoft, products_path=products)
    try:
        write_catalog(catalog, out_dir)
    except OSError as exc:
        raise UsageError(f"cannot write to {out_dir}: {exc.strerror}") from None
    click.echo(
        f"wrote {len(catalog['actors'])} actors, {len(catalog['software'])} software, "
        f'{len(catalog["products"])} products to {out_dir}; use it with [nlp] catalog_dir = "{out_dir}"'
    )


@main.command()
@click.option(
    "--incident", "incident_ids", multiple=True, metavar="ID", help="Only this incident (repeatable)."
)
@click.option("--since", metavar="DATE", help="Only incidents with a report published on or after DATE.")
@click.option(
    "--format",
    "formats",
    default="md,html,json,stix",
    show_default=True,
    metavar="LIST",
    help="Comma-separated: md, html, json, stix.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output directory.",
)
@click.option("--lang", default="en", show_default=True, metavar="CODE", help="Preferred summary language.")
@click.option(
    "--abstractive",
    metavar="MODEL",
    help="Rewrite the extract with a transformers sequence-to-sequence model (name or path).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def summarize(ctx, incident_ids, since, formats, out_dir: Path, lang, abstractive, as_json) -> None:
    """Write a brief per incident (and an index) to OUT, after any pending analysis and clustering.

    Each summary sentence, date, quote and requirement cites the article and character offsets it
    comes from; the formats are described in docs/formats.md.
    """
    from incident_brief.briefs.build import BriefBuilder
    from incident_brief.briefs.generate import check_writable, parse_formats, stored_incidents, write_briefs
    from incident_brief.briefs.vectors import SentenceIndex
    from incident_brief.corpus.sources import normalize_date
    from incident_brief.nlp.analysis import Analyzer, analyze_store
    from incident_brief.nlp.embeddings import load_embedder
    from incident_brief.nlp.incidents import cluster_store

    settings = _settings(ctx)
    chosen = parse_formats(formats)
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        raise UsageError(f"--lang: not a language code (ISO 639-1, e.g. de): {lang!r}")
    if since is not None and normalize_date(since) is None:
        raise UsageError(f"--since: not a date (YYYY-MM-DD): {since!r}")
    check_writable(out_dir)  # before minutes of analysis, not after
    rewriter = None
    if abstractive:
        from incident_brief.briefs.abstractive import Seq2SeqRewriter

        rewriter = Seq2SeqRewriter(abstractive)
    embedder = load_embedder(settings.cluster.embedder)
    with _open_store(settings) as store:
        with _progress_bar("analysing", show=not as_json) as progress:
            analysed = analyze_store(store, Analyzer(settings.nlp), progress=progress)
        with _progress_bar("clustering", show=not as_json) as progress:
            clustered = cluster_store(store, settings.cluster, progress=progress, embedder=embedder)
        incidents = stored_incidents(store, incident_ids=incident_ids, since=since and normalize_date(since))
        builder = BriefBuilder(store, SentenceIndex(store, embedder), language=lang, rewriter=rewriter)
        with _progress_bar("summarising", show=not as_json) as progress:
            if progress:
                progress("total", len(incidents))
            report = write_briefs(store, builder, incidents, out_dir, formats=chosen, progress=progress)
    if as_json:
        summary = {
            "briefs": report.briefs,
            "out": str(out_dir),
            "formats": chosen,
            "skipped": report.skipped,
            "analysed": analysed.analyzed,
            "clustered": clustered.clustered,
        }
        click.echo(json.dumps(summary))
        return
    index = next((p for p in report.index_files if p.suffix == ".html"), None) or next(
        iter(report.index_files), None
    )
    where = f"; open {index}" if index else ""
    click.echo(f"wrote {report.briefs} briefs ({', '.join(chosen)}) to {out_dir}{where}")


@main.command()
@click.argument("incident_id", metavar="ID")
@click.pass_context
def show(ctx, incident_id: str) -> None:
    """Print the latest brief of incident ID."""
    from incident_brief.briefs import history, render_terminal

    with _open_store(_settings(ctx), readonly=True) as store:
        brief = history.latest(store, incident_id)
    if brief is None:
        raise UsageError(
            f"no brief of incident {incident_id!r}; run `brief summarize` (`brief list` lists briefs)"
        )
    Console().print(render_terminal.render(brief))


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one brief per line.")
@click.pass_context
def list_briefs(ctx, as_json: bool) -> None:
    """List the briefs: incident, headline, sources, languages, confidence, when generated."""
    from rich.text import Text

    from incident_brief.briefs import history

    with _open_store(_settings(ctx), readonly=True) as store:
        rows = history.latest_rows(store)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.__dict__, ensure_ascii=False))
        return
    table = Table()
    for column in ("incident", "headline", "sources", "languages", "confidence", "generated"):
        table.add_column(column)
    for row in rows:
        table.add_row(  # scraped text as Text: never parsed as rich markup
            Text(row.incident_id),
            Text(row.headline[:90]),
            f"{row.sources} ({row.independent_sources} independent)",
            ", ".join(row.languages),
            row.confidence,
            row.generated_at,
        )
    Console().print(table)


@main.group()
def export() -> None:
    """Export stored results for other tools."""


@export.command("requirements")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["jsonl", "csv", "stix", "oscal"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines, CSV, a STIX 2.1 bundle or an OSCAL 1.1 profile (docs/formats.md).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (replaced atomically) instead of standard output.",
)
@click.option(
    "--incident",
    "incident_ids",
    multiple=True,
    metavar="ID",
    help="Only the requirements of this incident's articles (repeatable; ids from `brief incidents`).",
)
@click.pass_context
def export_requirements_command(
    ctx, export_format: str, out: Path | None, incident_ids: tuple[str, ...]
) -> None:
    """Export the security requirements found by `brief analyze`, with their controls and sources.

    A requirement repeated in syndicated copies is one requirement with several sources.
    """
    from incident_brief.briefs.files import write_file_atomically
    from incident_brief.briefs.requirements_export import (
        count_analysed,
        iter_requirements,
        write_requirements,
    )

    settings = _settings(ctx)
    malformed: list[str] = []

    def note_malformed(article_id: int, reason: str) -> None:
        malformed.append(f"article {article_id}: {reason}")

    with _open_store(settings, readonly=True) as store:
        article_ids = None
        if incident_ids:  # imported only here: the clustering modules load numpy, hnswlib and spaCy
            from incident_brief.nlp.incidents import incident_members

            article_ids = {a for incident in incident_ids for a in incident_members(store, incident)}
        rows = iter_requirements(store, article_ids, on_malformed=note_malformed)
        if out is None:
            count = write_requirements(rows, export_format, sys.stdout)
        else:
            count = write_file_atomically(out, lambda stream: write_requirements(rows, export_format, stream))
        analysed = count_analysed(store)
    if out is not None:
        click.echo(f"wrote {count} requirements to {out}")
    if not analysed:
        click.echo(f"brief: no article in {settings.db} is analysed yet; run `brief analyze` first", err=True)
    if malformed:
        click.echo(
            f"brief: skipped {len(malformed)} malformed requirement records (first: {malformed[0]}); "
            "run `brief analyze --all` to redo them",
            err=True,
        )
        ctx.exit(EXIT_PARTIAL)


@main.command()
@click.option(
    "--rebuild", is_flag=True, help="Re-cluster every article from scratch (analyst decisions hold)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def cluster(ctx, rebuild: bool, as_json: bool) -> None:
    """Group the stored articles into incidents, incrementally: new articles join an incident or open one.

    Articles are embedded once (title, lead, body) with the [cluster] embedder; run `brief analyze`
    first so entities and mentioned dates count (articles without an analysis are clustered without).
    """
    from incident_brief.nlp.incidents import cluster_store

    settings = _settings(ctx)
    with _open_store(settings) as store, _progress_bar("embedding, clustering", show=not as_json) as progress:
        report = cluster_store(store, settings.cluster, rebuild=rebuild, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
        return
    click.echo(
        f"clustered {report.clustered} articles into {report.incidents} incidents "
        f"({report.new_incidents} new, "
        f"{report.refined} moved by refinement); described {report.featurized} "
        f"(embedded {report.embedded}), "
        f"{report.without_analysis} without analysis, {report.skipped_empty} empty"
    )


def _actor(by: str | None) -> str:
    import getpass

    return by or getpass.getuser()


_BY = click.option("--by", metavar="NAME", help="Who decides [default: the login name]; recorded.")


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one incident per line, with its articles.")
@click.pass_context
def incidents(ctx, as_json: bool) -> None:
    """List incidents (id, title, size, languages, first and last seen); subcommands record decisions."""
    if ctx.invoked_subcommand is not None:
        return
    from incident_brief.nlp.incidents import list_incidents

    with _open_store(_settings(ctx), readonly=True) as store:
        summaries = list_incidents(store)
    if as_json:
        for summary in summaries:
            click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
        return
    table = Table()
    for column in ("id", "size", "languages", "first seen", "last seen", "title"):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s.id, str(s.size), ",".join(s.languages), (s.first_seen or "")[:10], (s.last_seen or "")[:10],
            s.title[:80],
        )  # fmt: skip
    Console().print(table)


def _decided(decision) -> None:
    click.echo(
        f"decision {decision.id}: {decision.kind} {decision.incident_id} "
        f"({len(decision.changes['set'])} articles)"
    )


@incidents.command("merge")
@click.argument("target")
@click.argument("source")
@_BY
@click.pass_context
def incidents_merge(ctx, target: str, source: str, by: str | None) -> None:
    """Merge incident SOURCE into TARGET (TARGET keeps its id)."""
    from incident_brief.nlp.incidents import merge_incidents

    with _open_store(_settings(ctx)) as store:
        _decided(merge_incidents(store, target, source, actor=_actor(by)))


@incidents.command("split")
@click.argument("incident")
@click.option("--articles", "article_ids", required=True, metavar="ID,ID,...", help="Articles to split off.")
@_BY
@click.pass_context
def incidents_split(ctx, incident: str, article_ids: str, by: str | None) -> None:
    """Move some articles of INCIDENT into a new incident, kept apart from it from now on."""
    from incident_brief.nlp.incidents import split_incident

    try:
        ids = [int(part) for part in article_ids.replace(" ", ",").split(",") if part]
    except ValueError:
        raise UsageError(f"--articles: not a list of article ids: {article_ids!r}") from None
    with _open_store(_settings(ctx)) as store:
        _decided(split_incident(store, incident, ids, actor=_actor(by)))


@incidents.command("move")
@click.argument("article", type=int)
@click.option(
    "--to", "target", required=True, metavar="INCIDENT", help="The incident the article belongs to."
)
@_BY
@click.pass_context
def incidents_move(ctx, article: int, target: str, by: str | None) -> None:
    """Move ARTICLE to another incident, for good."""
    from incident_brief.nlp.incidents import move_article

    with _open_store(_settings(ctx)) as store:
        _decided(move_article(store, article, target, actor=_actor(by)))


@incidents.command("pin")
@click.argument("article", type=int)
@_BY
@click.pass_context
def incidents_pin(ctx, article: int, by: str | None) -> None:
    """Keep ARTICLE in its current incident whatever later runs find."""
    from incident_brief.nlp.incidents import pin_article

    with _open_store(_settings(ctx)) as store:
        _decided(pin_article(store, article, actor=_actor(by)))


@incidents.command("undo")
@click.argument("decision", type=int)
@_BY
@click.pass_context
def incidents_undo(ctx, decision: int, by: str | None) -> None:
    """Undo DECISION: its articles go back where they were (unless a later decision moved them)."""
    from incident_brief.nlp.incidents import undo_decision

    with _open_store(_settings(ctx)) as store:
        undone = undo_decision(store, decision, actor=_actor(by))
    click.echo(f"decision {undone.id} ({undone.kind} {undone.incident_id}) undone")


@incidents.command("decisions")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines.")
@click.pass_context
def incidents_decisions(ctx, as_json: bool) -> None:
    """List the analyst decisions, undone ones included, with who made them and when."""
    from incident_brief.nlp.incidents import decisions

    with _open_store(_settings(ctx), readonly=True) as store:
        found = decisions(store)
    for d in found:
        if as_json:
            click.echo(json.dumps(d.to_dict(), ensure_ascii=False))
        else:
            undone = f", undone {d.undone_at} by {d.undone_by}" if d.undone_at else ""
            click.echo(
                f"{d.id}  {d.created_at}  {d.actor}: {d.kind} {d.incident_id}"
                f"{' ' + d.other_id if d.other_id else ''} ({len(d.changes['set'])} articles){undone}"
            )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port.")
@click.option(
    "--token",
    envvar="BRIEF_TOKEN",
    metavar="TOKEN",
    help="Require TOKEN on every request [env BRIEF_TOKEN]; needed to listen beyond 127.0.0.1.",
)
@click.option(
    "--reviewer",
    envvar="BRIEF_REVIEWER",
    metavar="NAME",
    help="Name recorded with each correction [env BRIEF_REVIEWER; default: the login name].",
)
@click.pass_context
def serve(ctx, host: str, port: int, token: str | None, reviewer: str | None) -> None:
    """Serve the review web app over the database: read, correct, approve and export briefs.

    Corrections are stored with who and when, can be undone, and hold for later `brief cluster` and
    `brief summarize` runs (docs/review.md). Ctrl-C stops the server.
    """
    from incident_brief.review.serve import bind, check_database, check_token, serve_app

    settings = _settings(ctx)
    check_token(host, token)
    check_database(settings.db)
    sockets = bind(host, port)
    from incident_brief.review.app import create_app

    app = create_app(settings.db, token=token, reviewer=_actor(reviewer), embedder=settings.cluster.embedder)
    bound = sockets[0].getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    click.echo(
        f"serving {settings.db} at http://{shown}:{bound[1]}/ as {app.config['BRIEF_REVIEWER']}"
        f"{' (token required)' if token else ''}; Ctrl-C stops",
        err=True,
    )
    serve_app(app, sockets)


@export.command("incidents")
@click.option(
    "--format", "export_format", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
    help="JSON Lines: one incident per line (docs/formats.md).",
)  # fmt: skip
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@click.pass_context
def export_incidents_command(ctx, export_format: str, out: Path | None) -> None:
    """Export incidents with their articles (ids and the external ids given at import)."""
    from incident_brief.nlp.incidents import list_incidents

    with _open_store(_settings(ctx), readonly=True) as store:
        lines = [json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in list_incidents(store)]
    if out is None:
        click.echo("".join(lines), nl=False)
        return
    from incident_brief.briefs.files import write_file_atomically

    write_file_atomically(out, lambda stream: stream.writelines(lines))
    click.echo(f"wrote {len(lines)} incidents to {out}")


if __name__ == "__main__":
    sys.exit(main())
