"""STIX 2.1 object builders shared by the requirement export and the brief STIX output.

Every id is a UUIDv5 of what the object stands for (a name, a requirement's evidence), so exporting
the same data again gives the same ids and consumers update objects instead of duplicating them.
STIX 2.1 recommends UUIDv4 for domain objects; stix2-validator reports the v5 ids as a warning.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import stix2

# UUIDv5 namespace of every id this package mints (uuid5(NAMESPACE_URL, "urn:incident-brief:stix")).
STIX_NAMESPACE = uuid.UUID("8846f5af-e83a-55a2-b01f-2c3641e3b63c")

# Identities stand for the same person or organisation in every export (their id comes from the
# name), so they carry one fixed timestamp rather than the export's: re-exports stay identical.
IDENTITY_TIMESTAMP = datetime(2024, 1, 1, tzinfo=UTC)

NIST_SOURCE = "NIST SP 800-53 Rev. 5"
ATTACK_SOURCE = "mitre-attack"
IDENTITY_CLASSES = ("individual", "group", "system", "organization", "class", "unknown")

_CONTROL_ID = re.compile(r"^([A-Z]{2})-(\d+)(?:\((\d+)\))?$")


def deterministic_id(object_type: str, *parts: str) -> str:
    """`object_type--UUIDv5` of the parts (joined unambiguously)."""
    return f"{object_type}--{uuid.uuid5(STIX_NAMESPACE, json.dumps([object_type, *parts]))}"


def identity(name: str, identity_class: str = "unknown", *, description: str | None = None) -> stix2.Identity:
    """A person or organisation, with the id of its name (the class may be learnt later)."""
    return stix2.Identity(
        id=deterministic_id("identity", name),
        name=name,
        identity_class=identity_class,
        description=description,
        created=IDENTITY_TIMESTAMP,
        modified=IDENTITY_TIMESTAMP,
    )


def course_of_action(
    key: str,
    *,
    name: str,
    description: str,
    created: datetime,
    external_references: Sequence[dict] = (),
    labels: Sequence[str] = (),
    confidence: int | None = None,
) -> stix2.CourseOfAction:
    return stix2.CourseOfAction(
        id=deterministic_id("course-of-action", key),
        name=name,
        description=description,
        created=created,
        modified=created,
        external_references=list(external_references) or None,
        labels=list(labels) or None,
        confidence=confidence,
        lang="en",
    )


def note(
    key: str,
    *,
    content: str,
    object_refs: Sequence[str],
    created: datetime,
    abstract: str | None = None,
    lang: str | None = None,
    external_references: Sequence[dict] = (),
) -> stix2.Note:
    return stix2.Note(
        id=deterministic_id("note", key, *object_refs),
        content=content,
        abstract=abstract,
        object_refs=list(object_refs),
        created=created,
        modified=created,
        lang=lang,
        external_references=list(external_references) or None,
    )


def relationship(
    source_ref: str, relationship_type: str, target_ref: str, *, created: datetime, description: str
) -> stix2.Relationship:
    return stix2.Relationship(
        id=deterministic_id("relationship", source_ref, relationship_type, target_ref, description),
        source_ref=source_ref,
        relationship_type=relationship_type,
        target_ref=target_ref,
        description=description,
        created=created,
        modified=created,
    )


def bundle(objects: Iterable) -> stix2.Bundle:
    """One bundle; its id comes from its objects' ids. An empty bundle has no `objects` property
    (STIX 2.1 says a bundle's objects are "one or more")."""
    objects = list(objects)
    identifier = bundle_id(o.id for o in objects)
    return stix2.Bundle(objects, id=identifier) if objects else stix2.Bundle(id=identifier)


def bundle_id(object_ids: Iterable[str]) -> str:
    """The id of the bundle of these objects, whatever their order."""
    return deterministic_id("bundle", *sorted(object_ids))


def nist_control_reference(control_id: str, title: str | None = None) -> dict:
    """An external reference to an SP 800-53 rev5 control ("AU-6", "AU-6(3)") on NIST's CPRT site."""
    return _reference(NIST_SOURCE, control_id, nist_control_url(control_id), title)


def attack_mitigation_reference(mitigation_id: str, name: str | None = None) -> dict:
    return _reference(
        ATTACK_SOURCE, mitigation_id, f"https://attack.mitre.org/mitigations/{mitigation_id}/", name
    )


def nist_control_url(control_id: str) -> str | None:
    """CPRT's page for the control; CPRT pads numbers to two digits ("AU-06", "AC-02(01)")."""
    match = _CONTROL_ID.match(control_id.upper())
    if match is None:
        return None
    family, number, enhancement = match.groups()
    element = f"{family}-{int(number):02d}" + (f"({int(enhancement):02d})" if enhancement else "")
    return (
        "https://csrc.nist.gov/projects/cprt/catalog#/cprt/framework/version/SP_800_53_5_1_1/home"
        f"?element={element}"
    )


def _reference(source: str, external_id: str, url: str | None, description: str | None) -> dict:
    reference = {"source_name": source, "external_id": external_id}
    if url:
        reference["url"] = url
    if description:
        reference["description"] = description
    return reference
