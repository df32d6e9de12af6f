"""A brief as Markdown, for reading and pasting. Every scraped string is escaped, so it renders as
written: no markup, link or HTML of an article's can reach the reader's renderer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from incident_brief.briefs.history import BriefRow
from incident_brief.briefs.model import Brief, Evidence, QuoteReport, quotes_by_speaker
from incident_brief.briefs.timeline import readable

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start markup
# anywhere in a line (emphasis, links and images, HTML, entities, code, tables, strike-through,
# closing heading marks); a list, heading or rule marker at the start is escaped on its own.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~&])")


_LEADING_BLOCK_MARK = re.compile(r"^([-+=]|\d+[.)])")  # "- ", "1. " or "===" would open a block here


def escape(text: str) -> str:
    text = _MARKUP.sub(r"\\\1", text)
    return _LEADING_BLOCK_MARK.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], text)


def safe_url(url: str) -> str | None:
    """An http(s) URL as a link destination, or None: javascript:, data: and file: URLs are not linked."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def render(brief: Brief) -> str:
    numbers = {s.article_id: n for n, s in enumerate(brief.sources, 1)}

    def cite(evidence: Iterable[Evidence]) -> str:
        links = []
        for item in evidence:
            source = brief.source(item.article_id)
            label = f"S{numbers.get(item.article_id, '?')}"
            outlet = source.outlet if source else "article"
            where = f"{outlet} (article {item.article_id}, characters {item.start}-{item.end})"
            url = safe_url(source.url) if source else None
            title = escape(where)
            links.append(f'[\\[{label}\\]](<{url}> "{title}")' if url else f"\\[{label}: {escape(where)}\\]")
        return " ".join(dict.fromkeys(links))

    def marked(text: str, language: str | None) -> str:
        tag = f"*({escape(language)})* " if language and language != brief.language else ""
        return tag + escape(text)

    def said(report: QuoteReport) -> str:
        # reported speech is the outlet's paraphrase, not the speaker's words
        speech = " *(reported speech)*" if report.kind == "indirect" else ""
        return marked(report.text, report.language) + speech

    confidence = brief.confidence
    out = [f"# {escape(brief.headline)}", ""]
    out.append(
        f"Incident {escape(brief.incident_id)} · generated {escape(brief.generated_at)} · confidence "
        f"**{confidence.level}** ({confidence.score:.2f}) · {len(brief.sources)} sources in "
        f"{escape(', '.join(brief.languages) or 'unknown languages')}"
        + (f" · review: **{escape(brief.review.describe())}**" if brief.review else "")
    )
    out.append("")
    if brief.summary:
        out += ["## Summary", ""]
        out += [
            f"{n}. {marked(s.text, s.language)} {cite(s.evidence)}" for n, s in enumerate(brief.summary, 1)
        ]
        if brief.method != "extractive":
            out += [
                "",
                f"*Rewritten by {escape(brief.method)}; each sentence cites what it was written from.*",
            ]
        out.append("")
    out += _key_facts(brief, numbers)
    if brief.timeline:
        out += ["## Timeline", ""]
        for entry in brief.timeline:
            mod = f" ({escape(entry.mod.lower())})" if entry.mod else ""
            reported = f" · reported {escape(entry.reported[:10])}" if entry.reported else ""
            sentence = marked(entry.sentence, entry.evidence[0].language)
            out.append(
                f"- **{escape(readable(entry.value))}**{mod} · {escape(entry.precision)} · "
                f"“{escape(entry.expression)}”: {sentence}{reported} {cite(entry.evidence)}"
            )
        out.append("")
    if brief.quotes:
        out += ["## Quotes", ""]
        for speaker, groups in quotes_by_speaker(brief.quotes):
            out += [f"### {escape(speaker)}", ""]
            for group in groups:
                medium = f" (to {escape(group.medium)})" if group.medium else ""
                wordings = group.wordings()
                shown = wordings[0]
                out.append(f"> {said(shown[0])}{medium} " + cite(r.evidence for r in shown))
                for reports in wordings[1:]:
                    out.append(
                        f">\n> also reported as: {said(reports[0])} " + cite(r.evidence for r in reports)
                    )
                out.append("")
    if brief.requirements:
        out += ["## Security requirements", ""]
        for requirement in brief.requirements:
            who = escape(requirement.requester.name) if requirement.requester else "unattributed"
            to = f" → {escape(requirement.addressee.name)}" if requirement.addressee else ""
            modality = f" ({escape(requirement.modality)})" if requirement.modality else ""
            out.append(
                f"- **{who}**{to}{modality}: {marked(requirement.text, requirement.language)} "
                + cite(requirement.evidence)
            )
            if requirement.controls:
                controls = ", ".join(
                    f"{escape(c.id)} {escape(c.title)} ({c.score:.2f})" for c in requirement.controls
                )
                out.append(f"  - controls: {controls}")
            if requirement.mitigations:
                mitigations = ", ".join(f"{escape(m.id)} {escape(m.title)}" for m in requirement.mitigations)
                out.append(f"  - ATT\\&CK mitigations: {mitigations}")
        out.append("")
    out += [
        "## Sources",
        "",
        "| # | outlet | language | published | report | note |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n, source in enumerate(brief.sources, 1):
        url = safe_url(source.url)
        title = escape(source.title or source.url)
        report = f"[{title}](<{url}>)" if url else title
        note = (
            f"syndicated copy of S{numbers[source.syndicated_copy_of]}"
            if source.syndicated_copy_of in numbers
            else ("syndicated copy" if source.syndicated_copy_of else "")
        )
        out.append(
            f"| S{n} | {escape(source.outlet)} | {escape(source.language or '?')} | "
            f"{escape((source.published or 'unknown')[:10])} | {report} | {note} |"
        )
    out += [
        "",
        "## Confidence",
        "",
        f"**{confidence.level}** ({confidence.score:.2f}): "
        + "; ".join(escape(r) for r in confidence.reasons)
        + ".",
    ]
    for contradiction in confidence.contradictions:
        values = " vs ".join(
            f"{escape(v.value)}: “{escape(v.text)}” {cite([v.evidence])}" for v in contradiction.values
        )
        out.append(f"- **Contradiction ({escape(contradiction.kind)})**: {values}")
    out.append("")
    if brief.changes:
        changes = brief.changes
        out += ["## Changes since the brief of " + escape(changes.previous_generated_at), ""]
        if not (changes.new_sources or changes.new_quotes or changes.new_requirements):
            out.append("No new sources, quotes or requirements.")
        else:
            new_sources = ", ".join(f"S{numbers[i]}" for i in changes.new_sources if i in numbers) or "none"
            out.append(f"- new sources: {new_sources}")
            out.append(
                f"- new quotes: {len(changes.new_quotes)}"
                + "".join(f"\n  - {escape(q)}" for q in changes.new_quotes)
            )
            out.append(
                f"- new requirements: {len(changes.new_requirements)}"
                + "".join(f"\n  - {escape(r)}" for r in changes.new_requirements)
            )
        out.append("")
    return "\n".join(out)


def _key_facts(brief: Brief, numbers: dict[int, int]) -> list[str]:
    facts = brief.key_facts

    def sources(article_ids: list[int]) -> str:
        return ", ".join(f"S{n}" for n in sorted(numbers[i] for i in article_ids if i in numbers))

    lines: list[str] = []
    for actor in facts.actors:
        kb = f" ({escape(actor.kb_id)})" if actor.kb_id else ""
        aliases = ", ".join(f"{escape(a.name)} ({escape(a.source)})" for a in actor.aliases)
        also = f"; also known as {aliases}" if aliases else ""
        lines.append(f"- **{actor.label}: {escape(actor.name)}**{kb}{also} · {sources(actor.article_ids)}")
    for label, items in (
        ("Organisations", facts.organisations),
        ("Products", facts.products),
        ("Vulnerabilities", facts.vulnerabilities),
    ):
        if items:
            lines.append(
                f"- **{label}:** " + ", ".join(f"{escape(i.name)} ({sources(i.article_ids)})" for i in items)
            )
    if facts.people:
        people = []
        for person in facts.people:
            about = ", ".join(escape(p) for p in (person.role, person.employer) if p)
            people.append(
                f"{escape(person.name)}"
                + (f" ({about})" if about else "")
                + f" {sources(person.article_ids)}"
            )
        lines.append("- **People:** " + "; ".join(people))
    if facts.money:
        lines.append("- **Money:** " + ", ".join(escape(m.text) for m in facts.money))
    return ["## Key facts", "", *lines, ""] if lines else []


def render_index(rows: list[BriefRow], file_name) -> str:
    """The list of briefs; `file_name(incident_id)` is where each brief's Markdown is."""
    out = [
        "# Incident briefs",
        "",
        "| incident | headline | sources | languages | confidence | generated |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        out.append(
            f"| [{escape(row.incident_id)}](<{quote(file_name(row.incident_id))}>) | {escape(row.headline)} "
            f"| {row.sources} ({row.independent_sources} independent) | {escape(', '.join(row.languages))} "
            f"| {row.confidence} | {escape(row.generated_at)} |"
        )
    return "\n".join(out) + "\n"
