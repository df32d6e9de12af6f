"""A brief for the terminal (`brief show`), with rich.

Scraped strings go into `Text` objects, never through rich's markup parser, so "[bold]" in an article
is printed as written; control characters were removed when the brief was built.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from incident_brief.briefs.model import Brief, Evidence, quotes_by_speaker
from incident_brief.briefs.timeline import readable

_LEVEL_STYLE = {"high": "bold green", "medium": "bold yellow", "low": "bold red"}


def render(brief: Brief) -> RenderableType:
    numbers = {s.article_id: n for n, s in enumerate(brief.sources, 1)}

    def cite(evidence: list[Evidence]) -> str:
        return " " + " ".join(dict.fromkeys(f"[S{numbers.get(e.article_id, '?')}]" for e in evidence))

    def line(text: str, language: str | None, evidence: list[Evidence]) -> Text:
        out = Text()
        if language and language != brief.language:
            out.append(f"({language}) ", style="dim")
        out.append(text)
        out.append(cite(evidence), style="cyan")
        return out

    confidence = brief.confidence
    parts: list[RenderableType] = [
        Text(brief.headline, style="bold"),
        Text.assemble(
            (f"incident {brief.incident_id} · generated {brief.generated_at} · confidence ", "dim"),
            (confidence.level, _LEVEL_STYLE[confidence.level]),
            (
                f" ({confidence.score:.2f}) · {len(brief.sources)} sources in {', '.join(brief.languages)}",
                "dim",
            ),
            (f" · review: {brief.review.describe()}" if brief.review else "", "dim"),
        ),
    ]
    if brief.summary:
        summary = Text()
        for n, sentence in enumerate(brief.summary, 1):
            summary.append(f"{n}. ")
            summary.append_text(line(sentence.text, sentence.language, sentence.evidence))
            summary.append("\n")
        summary.rstrip()
        parts.append(Panel(summary, title="Summary", title_align="left"))
    facts = _facts(brief, numbers)
    if facts.row_count:
        parts.append(facts)
    if brief.timeline:
        table = Table("event time", "what", title="Timeline", title_justify="left", expand=True)
        for entry in brief.timeline:
            value = readable(entry.value) + (f" ({entry.mod.lower()})" if entry.mod else "")
            table.add_row(Text(value), line(entry.sentence, None, entry.evidence))
        parts.append(table)
    if brief.quotes:
        quotes = Text()
        for speaker, groups in quotes_by_speaker(brief.quotes):
            quotes.append(speaker + "\n", style="bold")
            for group in groups:
                quotes.append("  ")
                quotes.append_text(line(group.text, group.language, [r.evidence for r in group.reports]))
                quotes.append("\n")
        quotes.rstrip()
        parts.append(Panel(quotes, title="Quotes", title_align="left"))
    if brief.requirements:
        table = Table(
            "who", "requirement", "top controls", title="Security requirements", title_justify="left"
        )
        for requirement in brief.requirements:
            who = requirement.requester.name if requirement.requester else "unattributed"
            if requirement.addressee:
                who += f" → {requirement.addressee.name}"
            table.add_row(
                Text(who),
                line(requirement.text, requirement.language, requirement.evidence),
                Text(", ".join(f"{c.id} {c.title}" for c in requirement.controls)),
            )
        parts.append(table)
    sources = Table("#", "outlet", "lang", "published", "title", title="Sources", title_justify="left")
    for n, source in enumerate(brief.sources, 1):
        copy = (
            f" (copy of S{numbers.get(source.syndicated_copy_of, '?')})" if source.syndicated_copy_of else ""
        )
        sources.add_row(
            f"S{n}",
            Text(source.outlet),
            source.language or "?",
            (source.published or "unknown")[:10],
            Text((source.title or source.url) + copy),
        )
    parts.append(sources)
    verdict = Text("Confidence: ", style="bold")
    verdict.append("; ".join(confidence.reasons))
    for contradiction in confidence.contradictions:
        values = " vs ".join(f"{v.value}{cite([v.evidence])}" for v in contradiction.values)
        verdict.append(f"\n  sources disagree ({contradiction.kind}): {values}", style="red")
    parts.append(verdict)
    return Group(*parts)


def _facts(brief: Brief, numbers: dict[int, int]) -> Table:
    facts = brief.key_facts
    table = Table(show_header=False, title="Key facts", title_justify="left", box=None, padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()

    def sources(article_ids: list[int]) -> str:
        return " " + " ".join(f"[S{n}]" for n in sorted(numbers[i] for i in article_ids if i in numbers))

    for actor in facts.actors:
        aliases = ", ".join(a.name for a in actor.aliases)
        text = Text(actor.name + (f" ({actor.kb_id})" if actor.kb_id else ""))
        if aliases:
            text.append(f"; also {aliases}", style="dim")
        text.append(sources(actor.article_ids), style="cyan")
        table.add_row(actor.label.lower(), text)
    for label, items in (
        ("organisations", facts.organisations),
        ("products", facts.products),
        ("vulnerabilities", facts.vulnerabilities),
    ):
        if items:
            table.add_row(label, Text(", ".join(i.name for i in items)))
    if facts.people:
        people = [
            p.name + (f" ({', '.join(x for x in (p.role, p.employer) if x)})" if p.role or p.employer else "")
            for p in facts.people
        ]
        table.add_row("people", Text("; ".join(people)))
    if facts.money:
        table.add_row("money", Text(", ".join(m.text for m in facts.money)))
    return table
