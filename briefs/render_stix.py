"""A brief as a STIX 2.1 bundle: a report over intrusion sets and campaigns (with aliases), identities for
the organisations and people, vulnerabilities, a course of action per requirement, a note per quote and
the relationships between them. The shared builders (deterministic ids, identities, courses of action,
notes, relationships) are briefs/stix.py's; this module adds what only a brief has.
"""

from __future__ import annotations

import re
from datetime import datetime

import stix2

from incident_brief.briefs import stix
from incident_brief.briefs.model import ActorFact, Brief, RequirementEntry

_ATTACK_GROUP = re.compile(r"^[GC]\d{4}$")
_NAME_CHARS = 120  # a course of action's name is its requirement, shortened


def render(brief: Brief) -> str:
    # indented but not `pretty`: stix2's property sorting costs a hundred times the serialisation
    return bundle(brief).serialize(indent=2, ensure_ascii=False) + "\n"


def bundle(brief: Brief) -> stix2.Bundle:
    created = datetime.fromisoformat(brief.generated_at)
    report_id = stix.deterministic_id("report", brief.incident_id)
    objects: dict[str, object] = {}

    def add(item) -> str:
        objects.setdefault(item.id, item)
        return item.id

    def relate(source: str, kind: str, target: str, description: str) -> None:
        add(stix.relationship(source, kind, target, created=created, description=description))

    facts = brief.key_facts
    # The catalog links no campaign to the group behind it, so a campaign has no `attributed-to` here.
    actor_ids = [add(_actor(actor, created)) for actor in facts.actors]
    organisations = {o.name: add(stix.identity(o.name, "organization")) for o in facts.organisations}
    for person in facts.people:
        about = ", ".join(p for p in (person.role, person.employer) if p)
        person_id = add(stix.identity(person.name, "individual", description=about or None))
        if person.employer:
            employer = organisations.get(person.employer) or add(
                stix.identity(person.employer, "organization")
            )
            relate(person_id, "related-to", employer, f"{person.role or 'member'} of {person.employer}")
    for vulnerability in facts.vulnerabilities:
        vulnerability_id = add(
            stix2.Vulnerability(
                id=stix.deterministic_id("vulnerability", vulnerability.kb_id or vulnerability.name),
                name=vulnerability.kb_id or vulnerability.name,
                created=created,
                modified=created,
                external_references=(
                    [{"source_name": "cve", "external_id": vulnerability.kb_id}]
                    if (vulnerability.kb_id or "").startswith("CVE-")
                    else None
                ),
            )
        )
        for actor_id in actor_ids:
            relate(actor_id, "targets", vulnerability_id, f"reported in incident {brief.incident_id}")
    for actor_id in actor_ids:
        for organisation_id in organisations.values():
            relate(actor_id, "related-to", organisation_id, f"named together in incident {brief.incident_id}")
    for requirement in brief.requirements:
        course = add(_course_of_action(brief, requirement, created))
        for party in (requirement.requester, requirement.addressee):
            if party:
                role = "requested by" if party is requirement.requester else "addressed to"
                party_id = organisations.get(party.name) or add(stix.identity(party.name))
                relate(course, "related-to", party_id, f"{role} {party.name}")
    for group in brief.quotes:
        refs = [report_id]
        if group.speaker:
            refs.append(add(stix.identity(group.speaker.name, "individual")))
        evidence = [r.evidence for r in group.reports]
        add(
            stix.note(
                f"{brief.incident_id}:" + ";".join(f"{e.article_id}:{e.start}:{e.end}" for e in evidence),
                content=group.text,
                abstract=f"{group.speaker.name if group.speaker else 'Unattributed'} ({group.kind} quote)",
                object_refs=refs,
                created=created,
                lang=group.language,
                external_references=_evidence_references(brief, evidence),
            )
        )
    add(  # the summary with its evidence; also gives an incident with no entities a report object
        stix.note(
            f"{brief.incident_id}:summary",
            content="\n".join(s.text for s in brief.summary) or brief.headline,
            abstract=f"Summary ({brief.method})",
            object_refs=[report_id],
            created=created,
            lang=brief.language,
            external_references=_evidence_references(brief, [e for s in brief.summary for e in s.evidence]),
        )
    )
    report = stix2.Report(
        id=report_id,
        name=brief.headline,
        description=" ".join(s.text for s in brief.summary) or None,
        published=created,
        created=created,
        modified=created,
        report_types=["threat-report"],
        labels=[f"review-status:{brief.review.status.replace(' ', '-')}"] if brief.review else None,
        confidence=round(brief.confidence.score * 100),
        object_refs=list(objects),
        external_references=[_source_reference(s) for s in brief.sources] or None,
        lang=brief.language,
    )
    return stix.bundle([report, *objects.values()])


def _actor(actor: ActorFact, created: datetime) -> stix2.IntrusionSet | stix2.Campaign:
    """An intrusion set for a group, a campaign for an ATT&CK campaign."""
    campaign = actor.kind == "campaign"
    references = None
    if actor.kb_id and _ATTACK_GROUP.match(actor.kb_id):
        kind = "groups" if actor.kb_id.startswith("G") else "campaigns"
        references = [
            {
                "source_name": "mitre-attack",
                "external_id": actor.kb_id,
                "url": f"https://attack.mitre.org/{kind}/{actor.kb_id}/",
            }
        ]
    object_type, make = ("campaign", stix2.Campaign) if campaign else ("intrusion-set", stix2.IntrusionSet)
    others = [a for a in dict.fromkeys(a.name for a in actor.aliases) if a != actor.name]
    return make(
        id=stix.deterministic_id(object_type, actor.kb_id or actor.name),
        name=actor.name,
        aliases=others or None,
        created=created,
        modified=created,
        external_references=references,
    )


def _course_of_action(brief: Brief, requirement: RequirementEntry, created: datetime) -> stix2.CourseOfAction:
    who = requirement.requester.name if requirement.requester else "unattributed"
    to = f" to {requirement.addressee.name}" if requirement.addressee else ""
    name = (
        requirement.text
        if len(requirement.text) <= _NAME_CHARS
        else requirement.text[: _NAME_CHARS - 1] + "…"
    )
    references = [stix.nist_control_reference(c.id, c.title) for c in requirement.controls]
    references += [stix.attack_mitigation_reference(m.id, m.title) for m in requirement.mitigations]
    references += _evidence_references(brief, requirement.evidence)
    return stix.course_of_action(
        f"{brief.incident_id}:" + ";".join(f"{e.article_id}:{e.start}:{e.end}" for e in requirement.evidence),
        name=name,
        description=f"{requirement.text} (requested by {who}{to}; {requirement.modality or 'no modality'})",
        created=created,
        external_references=references,
        labels=[requirement.modality] if requirement.modality else (),
        confidence=round(requirement.confidence * 100) if requirement.confidence is not None else None,
    )


def _evidence_references(brief: Brief, evidence) -> list[dict]:
    references = []
    for item in evidence:
        source = brief.source(item.article_id)
        reference = {
            "source_name": source.outlet if source else "incident-brief",
            "description": f"article {item.article_id}, characters {item.start}-{item.end}",
        }
        if source and re.match(r"https?://", source.url):
            reference["url"] = source.url
        references.append(reference)
    return references


def _source_reference(source) -> dict:
    reference = {"source_name": source.outlet, "description": source.title or f"article {source.article_id}"}
    if re.match(r"https?://", source.url):
        reference["url"] = source.url
    return reference
