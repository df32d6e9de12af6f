"""OSCAL 1.1 profile documents as plain dicts (written with the json module: no OSCAL library needed).

A profile here imports the NIST SP 800-53 rev5 catalog, includes chosen controls, adds guidance
parts to them (`modify`/`alter`) and cites what motivated them as back-matter resources.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

OSCAL_VERSION = "1.1.2"  # the version NIST's SP 800-53 rev5 catalog in oscal-content is written in
NIST_800_53_REV5_CATALOG = (
    "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/"
    "NIST_SP-800-53_rev5_catalog.json"
)
# UUIDv5 namespace of every OSCAL uuid this package mints (uuid5(NAMESPACE_URL, "urn:incident-brief:oscal")).
OSCAL_NAMESPACE = uuid.UUID("c70bb153-c835-5b8e-84ff-6fa08c92b75b")

_CONTROL_ID = re.compile(r"^([A-Za-z]{2})-0*(\d+)(?:\(0*(\d+)\)|\.0*(\d+))?$")


def deterministic_uuid(*parts: str) -> str:
    return str(uuid.uuid5(OSCAL_NAMESPACE, json.dumps(parts)))


def oscal_control_id(control_id: str) -> str | None:
    """The catalog's id of an SP 800-53 control: "AU-6" → "au-6", "AU-6(3)" → "au-6.3"; None if it
    is not one."""
    match = _CONTROL_ID.match(control_id.strip())
    if match is None:
        return None
    family, number, enhancement, dotted = match.groups()
    enhancement = enhancement or dotted
    return f"{family.lower()}-{int(number)}" + (f".{int(enhancement)}" if enhancement else "")


def control_sort_key(oscal_id: str) -> tuple[str, int, int]:
    """Catalog order: family, then number, the base control before its enhancements."""
    family, _, rest = oscal_id.partition("-")
    number, _, enhancement = rest.partition(".")
    return family, int(number), int(enhancement or 0)


@dataclass(frozen=True)
class Resource:
    """A back-matter resource: something the profile cites, e.g. a requirement found in a news article."""

    key: str  # what the resource stands for; its uuid is derived from it
    title: str
    description: str
    links: Sequence[str] = ()
    props: Mapping[str, str] = field(default_factory=dict)
    remarks: str | None = None

    @property
    def uuid(self) -> str:
        return deterministic_uuid("resource", self.key)


@dataclass(frozen=True)
class Guidance:
    """Prose added to one control, citing the resources it comes from."""

    control_id: str  # OSCAL form, "au-6"
    prose: str
    resource_uuids: Sequence[str]


def profile(
    *,
    title: str,
    last_modified: datetime,
    version: str,
    control_ids: Iterable[str],
    guidance: Sequence[Guidance] = (),
    resources: Sequence[Resource] = (),
    catalog_href: str = NIST_800_53_REV5_CATALOG,
    props_namespace: str,
    remarks: str | None = None,
) -> dict:
    """A profile document (`{"profile": {...}}`) selecting `control_ids` (OSCAL form) from the catalog.

    OSCAL requires every import to include something, and `with-ids` needs at least one id, so a
    profile without controls includes all and then excludes all (`matching "*"`): it resolves to a
    catalog with no controls, which is what an empty selection means.
    """
    ids = sorted(set(control_ids), key=control_sort_key)
    if ids:
        selection: dict = {"include-controls": [{"with-ids": ids}]}
    else:
        selection = {"include-all": {}, "exclude-controls": [{"matching": [{"pattern": "*"}]}]}
    metadata = {
        "title": title,
        "last-modified": _timestamp(last_modified),
        "version": version,
        "oscal-version": OSCAL_VERSION,
    }
    if remarks:
        metadata["remarks"] = remarks
    body: dict = {
        "uuid": deterministic_uuid("profile", catalog_href, *ids, *(r.key for r in resources)),
        "metadata": metadata,
        "imports": [{"href": catalog_href, **selection}],
        "merge": {"as-is": True},
    }
    if guidance:
        body["modify"] = {"alters": _alters(guidance)}
    if resources:
        body["back-matter"] = {"resources": [_resource(r, props_namespace) for r in resources]}
    return {"profile": body}


def _alters(guidance: Sequence[Guidance]) -> list[dict]:
    by_control: dict[str, list[Guidance]] = {}
    for item in guidance:
        by_control.setdefault(item.control_id, []).append(item)
    alters = []
    for control_id in sorted(by_control, key=control_sort_key):
        parts = []
        for item in by_control[control_id]:
            # part ids must be unique in the resolved catalog: the control id plus the cited resources
            part_id = f"{control_id}_ib-{deterministic_uuid('part', control_id, *item.resource_uuids)[:8]}"
            part = {"id": part_id, "name": "guidance", "prose": item.prose}
            if item.resource_uuids:
                part["links"] = [{"href": f"#{u}", "rel": "reference"} for u in item.resource_uuids]
            parts.append(part)
        alters.append({"control-id": control_id, "adds": [{"position": "ending", "parts": parts}]})
    return alters


def _resource(resource: Resource, namespace: str) -> dict:
    data: dict = {"uuid": resource.uuid, "title": _one_line(resource.title)}
    if resource.description:
        data["description"] = resource.description
    if resource.props:
        data["props"] = [
            {"name": name, "value": _one_line(value), "ns": namespace}
            for name, value in resource.props.items()
            if value
        ] or None
    if resource.links:
        data["rlinks"] = [{"href": href, "media-type": "text/html"} for href in resource.links]
    if resource.remarks:
        data["remarks"] = resource.remarks
    return {k: v for k, v in data.items() if v is not None}


def _one_line(text: str) -> str:
    """Titles and property values may not span lines or be blank at either end."""
    return " ".join(text.split()) or "(none)"


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("OSCAL timestamps need a time zone")
    return moment.isoformat().replace("+00:00", "Z")
