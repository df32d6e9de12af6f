"""`incident_security_entities`: threat actors, malware, tools, products, CVEs, indicators and well-known
organisations, any language.

Two sources of spans, both found on the characters of the text, so they do not depend on how a language's
tokenizer cuts "Midnight Blizzard-Angriffs" or "Storm-0558.":
- a gazetteer over the catalog (models/catalogs): actor names and aliases (THREAT_ACTOR), ATT&CK software
  (MALWARE, TOOL), curated products (PRODUCT) and organisations (ORG). Names are matched with spaCy's
  PhraseMatcher over word pieces (runs of letters and digits, single other characters); each alias carries
  its matching rule ("any" case, "cased" only as written, "skip": never in running text), decided when the
  catalog is built.
  All-capital security names of 6 letters or more ("NOBELIUM", "HIDDEN COBRA") also match in title case.
- regular expressions: CVE ids (any case, dashes or spaces; kb_id and canonical "CVE-YYYY-NNNN"), actor
  designations (Storm-/DEV-NNNN, UNC, TA, FIN, UAC, APT NN, APT-C-NN), IPv4/IPv6, URLs, e-mail addresses,
  domains and MD5/SHA-1/SHA-256 hashes. Indicators are also found defanged (hxxp, [.], (.), [dot], [@]);
  their canonical is the refanged value. Domains count when defanged or when their top-level domain is in
  a list of common ones (file names such as "invoice.zip" stay out).

Overlaps are settled longest first, then by label priority (VULNERABILITY, URL, EMAIL, gazetteer actors,
pattern actors, MALWARE, TOOL, PRODUCT, IP, HASH, DOMAIN). A token that a span starts or ends inside is
split there. Security spans replace overlapping entities of the NER; other NER entities stay.
A name that is both an actor alias and a software name ("Sofacy", "Akira") is labelled THREAT_ACTOR.

Organisations only correct the NER where it is wrong about a well-known name ("gegenüber Bloomberg" tagged
PER), so they come last and break nothing: an ORG match never overlaps a security span ("Microsoft 365" is
a product), never splits a token ("Amazon-CISO" stays one), and replaces NER entities only when they lie
within it. It is dropped inside or across a longer NER entity ("Dell" in PER "Michael Dell", "Siemens" in
ORG "Siemens Energy"), and where it is the surname of a person the NER named in full in the document ("Dell
sagte" after "Michael Dell"). Inside a longer NER organisation that only adds a country code before it ("U.S.
Cybersecurity and Infrastructure Security Agency", German "US-Cybersicherheitsbehörde CISA"), it gives that
mention its catalog name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

from incident_brief.models.catalogs import Catalog, load_catalog
from incident_brief.nlp.extensions import register_extensions

SECURITY_LABELS = [
    "THREAT_ACTOR",
    "MALWARE",
    "TOOL",
    "VULNERABILITY",
    "PRODUCT",
    "IP",
    "DOMAIN",
    "URL",
    "HASH",
    "EMAIL",
]
ORGANISATION = "ORG"
PRIORITY = {
    "VULNERABILITY": 0,
    "URL": 1,
    "EMAIL": 1,
    "THREAT_ACTOR:gazetteer": 2,
    "THREAT_ACTOR:pattern": 3,
    "MALWARE": 4,
    "TOOL": 5,
    "PRODUCT": 6,
    "IP": 7,
    "HASH": 7,
    "DOMAIN": 8,
    ORGANISATION: 9,
}
WORD_PIECE = re.compile(r"\w+|[^\w\s]")
DASH = "[-\u2010\u2011\u2012\u2013\u2014]"
DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))"
COMMON_TLDS = frozenset(
    """com net org info biz io co ai app dev cloud xyz top online site shop club live tech me tv cc ws pw
    su ru cn de fr uk us eu nl be ch at it es pt pl cz sk hu ro bg gr se no dk fi ie lu li jp kr kp tw hk
    sg in ir il br ar mx au nz ca tr ua by kz za ng onion gov edu mil int""".split()
)
CVE = re.compile(rf"\bCVE\s*{DASH}?\s*((?:199|20\d)\d)(?:\s*{DASH}\s*|\s+)(\d{{4,7}})\b", re.IGNORECASE)
ACTOR_PATTERNS = [
    re.compile(r"\b(?:[Ss]torm|STORM|DEV)-\d{3,4}\b"),
    re.compile(r"\bUNC-?\d{3,5}\b"),
    re.compile(r"\bTA-?\d{3,4}\b"),
    re.compile(r"\bFIN-?\d{1,2}\b"),
    re.compile(r"\bUAC-\d{4}\b"),
    re.compile(r"\bAPT-C-\d{2}\b"),
    re.compile(r"\bAPT[- ]?\d{1,3}\b"),
]
URL = re.compile(r"\b(?:h[tx]{2}ps?|fxps?|ftp)(?:://|\[://\]|\[:\]//)[^\s<>\"'„“”«»]+", re.IGNORECASE)
EMAIL = re.compile(rf"[\w.+-]+(?:@|\[@\]|\[at\]|\(at\))[\w-]+(?:{DOT}[\w-]+)+", re.IGNORECASE)
IPV4 = re.compile(rf"(?<![\w.])(?:\d{{1,3}}{DOT}){{3}}\d{{1,3}}(?!\w|\.\d)")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
DOMAIN = re.compile(
    rf"(?<![\w@.\-/])(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?{DOT})+([a-z]{{2,24}})(?![\w-]|{DOT}\w)",
    re.IGNORECASE,
)
HASH = re.compile(r"\b(?:[A-Fa-f0-9]{64}|[A-Fa-f0-9]{40}|[A-Fa-f0-9]{32})\b")
QUALIFIER = re.compile(r"(?:(?:[A-Z]\.){2,3}|[A-Z]{2,3})(?:-\w+)?")
DEFANGED = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[@\]|\[at\]|\(at\)|\[://\]|\[:\]", re.I)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    label: str
    source: str  # "gazetteer" or "pattern"
    canonical: str | None = None
    kb_id: str | None = None

    @property
    def rank(self) -> tuple[int, int, int]:
        key = f"{self.label}:{self.source}" if self.label == "THREAT_ACTOR" else self.label
        return (-(self.end - self.start), PRIORITY[key], self.start)


@Language.factory(
    "incident_security_entities",
    default_config={"labels": [*SECURITY_LABELS, ORGANISATION], "catalog": None},
)
def make_security_entities(
    nlp: Language, name: str, labels: list[str], catalog: str | None
) -> SecurityEntities:
    register_extensions()
    known = [*SECURITY_LABELS, ORGANISATION]
    unknown = sorted(set(labels) - set(known))
    if unknown:
        raise ValueError(f"incident_security_entities: unknown labels {unknown}; known: {known}")
    return SecurityEntities(load_catalog(Path(catalog) if catalog else None), labels)


def refang(text: str) -> str:
    """The indicator as it would be used: "hxxps://evil[.]com" -> "https://evil.com"."""
    out = re.sub(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", ".", text, flags=re.I)
    out = re.sub(r"\[@\]|\[at\]|\(at\)", "@", out, flags=re.I)
    out = re.sub(r"\[://\]", "://", out).replace("[:]//", "://")
    return re.sub(r"^(?:h[tx]{2}p|fxp)(s?)://", r"http\1://", out, flags=re.I)


def normalise_cve(match: re.Match[str]) -> str:
    return f"CVE-{match.group(1)}-{match.group(2)}"


class SecurityEntities:
    def __init__(self, catalog: Catalog, labels: Iterable[str]) -> None:
        self.catalog = catalog
        self.labels = frozenset(labels)
        # The pieces docs live here, apart from the pipeline's vocab; LOWER needs the lexical getters.
        self.vocab = Vocab(lex_attr_getters=LEX_ATTRS)
        self.matchers = {
            "cased": PhraseMatcher(self.vocab, attr="ORTH"),
            "any": PhraseMatcher(self.vocab, attr="LOWER"),
        }
        for label, mode, name in self._gazetteer_names():
            self.matchers[mode].add(label, [self._pieces_doc(name)])
            # not for organisations: "SPIEGEL" is the magazine, "Spiegel" a mirror
            if (
                label != ORGANISATION
                and mode == "cased"
                and name.isupper()
                and sum(ch.isalpha() for ch in name) >= 6
            ):
                self.matchers[mode].add(label, [self._pieces_doc(name.title())])

    def _gazetteer_names(self) -> Iterator[tuple[str, str, str]]:
        groups = [
            ("THREAT_ACTOR", self.catalog.actors),
            *[(s.kind.upper(), [s]) for s in self.catalog.software],
            ("PRODUCT", self.catalog.products),
            (ORGANISATION, self.catalog.organisations),
        ]
        for label, records in groups:
            if label not in self.labels:
                continue
            for record in records:
                for alias in record.aliases:
                    if alias.match != "skip" and WORD_PIECE.search(alias.name):
                        yield label, alias.match, alias.name

    def _pieces_doc(self, text: str) -> Doc:
        words = [m.group() for m in WORD_PIECE.finditer(text)]
        return Doc(self.vocab, words=words, spaces=[False] * len(words))

    def __call__(self, doc: Doc) -> Doc:
        candidates = [c for c in self.candidates(doc.text) if c.label in self.labels]
        chosen = select([c for c in candidates if c.label != ORGANISATION])
        organisations = [c for c in candidates if c.label == ORGANISATION and not _overlaps_any(c, chosen)]
        ner = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents]
        surnames = {e[-1].text for e in doc.ents if e.label_ == "PER" and len(e) > 1}
        organisations = [
            c
            for c in select(organisations)
            if doc.char_span(c.start, c.end) is not None  # on whole tokens only
            and doc.text[c.start : c.end] not in surnames
        ]
        qualified = {
            (start, end): c
            for c in organisations
            for start, end, label, _ in ner
            if label == ORGANISATION
            and start < c.start
            and end == c.end
            and _qualifier(doc.text[start : c.start])
        }
        organisations = [
            c
            for c in organisations
            if all(
                c.start <= start and end <= c.end for start, end, *_ in ner if start < c.end and c.start < end
            )
        ]
        split_tokens_at(doc, {offset for c in chosen for offset in (c.start, c.end)})
        spans = []
        for c in [*chosen, *organisations]:
            span = doc.char_span(c.start, c.end, label=c.label, kb_id=c.kb_id or "")
            if span is None:  # cannot happen after splitting; guards against odd whitespace
                continue
            span._.entity_source = c.source
            span._.canonical = c.canonical
            span._.kb_id = c.kb_id
            spans.append(span)
        taken = [(s.start_char, s.end_char) for s in spans]
        for start, end, label, kb_id in ner:
            if all(end <= s or start >= e for s, e in taken):
                span = doc.char_span(start, end, label=label, kb_id=kb_id)
                if span is not None:
                    if (start, end) in qualified:  # "U.S. Cybersecurity and Infrastructure Security Agency"
                        span._.canonical = qualified[(start, end)].canonical
                    spans.append(span)
        doc.ents = sorted(spans, key=lambda s: s.start)
        return doc

    def candidates(self, text: str) -> list[Candidate]:
        return [*self._gazetteer_candidates(text), *pattern_candidates(text)]

    def _gazetteer_candidates(self, text: str) -> Iterator[Candidate]:
        pieces = list(WORD_PIECE.finditer(text))
        if not pieces:
            return
        pieces_doc = Doc(self.vocab, words=[p.group() for p in pieces], spaces=[False] * len(pieces))
        for matcher in self.matchers.values():
            for match_id, start, end in matcher(pieces_doc):
                label = self.vocab.strings[match_id]
                begin, finish = pieces[start].start(), pieces[end - 1].end()
                canonical = None
                if label in ("PRODUCT", ORGANISATION):
                    resolve = (
                        self.catalog.resolve_product
                        if label == "PRODUCT"
                        else self.catalog.resolve_organisation
                    )
                    found = resolve(text[begin:finish])
                    canonical = found.record.name if found else None
                yield Candidate(begin, finish, label, "gazetteer", canonical)


def pattern_candidates(text: str) -> Iterator[Candidate]:
    for m in CVE.finditer(text):
        cve = normalise_cve(m)
        yield Candidate(m.start(), m.end(), "VULNERABILITY", "pattern", cve, cve)
    for pattern in ACTOR_PATTERNS:
        for m in pattern.finditer(text):
            yield Candidate(m.start(), m.end(), "THREAT_ACTOR", "pattern")
    for m in URL.finditer(text):
        end = m.start() + len(_trim_url(m.group()))
        yield Candidate(m.start(), end, "URL", "pattern", refang(text[m.start() : end]))
    for m in EMAIL.finditer(text):
        yield Candidate(m.start(), m.end(), "EMAIL", "pattern", refang(m.group()))
    for m in IPV4.finditer(text):
        value = refang(m.group())
        if _valid_ip(value):
            yield Candidate(m.start(), m.end(), "IP", "pattern", value)
    for m in IPV6.finditer(text):
        value = m.group()
        # "::" or all eight groups: clock times ("10:30:00") are not addresses
        if ("::" in value or value.count(":") == 7) and value.strip(":") and _valid_ip(value):
            yield Candidate(m.start(), m.end(), "IP", "pattern", value.lower())
    for m in DOMAIN.finditer(text):
        defanged = DEFANGED.search(m.group()) is not None
        if defanged or m.group(1).lower() in COMMON_TLDS:
            yield Candidate(m.start(), m.end(), "DOMAIN", "pattern", refang(m.group()).lower())
    for m in HASH.finditer(text):
        value = m.group()
        if any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value):
            yield Candidate(m.start(), m.end(), "HASH", "pattern", value.lower())


def _qualifier(text: str) -> bool:
    """A country code before a catalogued organisation's name, in one NER span with it: "U.S. ", "US-"
    (German "US-Cybersicherheitsbehörde CISA", a descriptive compound before the name)."""
    return QUALIFIER.fullmatch(text.strip()) is not None


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL, and closing brackets it did not open."""
    while url and url[-1] in ".,;:!?)]}":
        closing = url[-1]
        opening = {")": "(", "]": "[", "}": "{"}.get(closing)
        if opening and url.count(opening) >= url.count(closing):
            break
        url = url[:-1]
    return url


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _overlaps_any(candidate: Candidate, others: list[Candidate]) -> bool:
    return any(candidate.start < c.end and c.start < candidate.end for c in others)


def select(candidates: list[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates: longest first, then by label priority."""
    chosen: list[Candidate] = []
    for candidate in sorted(set(candidates), key=lambda c: c.rank):
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c.start)


def split_tokens_at(doc: Doc, offsets: set[int]) -> None:
    """Split every token that one of the character offsets falls inside (text and offsets unchanged)."""
    cuts: list[tuple[Token, list[str]]] = []
    for token in doc:
        inside = sorted(o - token.idx for o in offsets if token.idx < o < token.idx + len(token.text))
        if inside:
            bounds = [0, *inside, len(token.text)]
            cuts.append((token, [token.text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]))
    if not cuts:
        return
    with doc.retokenize() as retokenizer:
        for token, orths in cuts:
            first_head = token.head if token.head.i != token.i else (token, 0)
            heads = [first_head, *[(token, 0)] * (len(orths) - 1)]
            attrs = {"DEP": [token.dep_ or "dep", *["dep"] * (len(orths) - 1)]} if token.dep_ else {}
            retokenizer.split(token, orths, heads=heads, attrs=attrs)
