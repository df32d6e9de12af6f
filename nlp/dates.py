"""`incident_dates`: a German and English TIMEX3 tagger (dates, times, durations, sets).

Rules are regular expressions over the Doc text, built from per-language word lists
(`data/timex_en.json`, `data/timex_de.json`; other languages get the language-neutral rules: ISO and
numeric day-month-year dates, clock times). Where rules overlap, the longest expression wins.

Values follow TIMEX3: `2023-11-03`, `2023-11`, `2023`, `2023-Q4`, `2023-H2`, `2023-SU`, `2023-W45`,
`2023-W45-WE`, `202` (a decade), `2024-10-31T14:30`, `2024-10-31TEV`, `P5Y`, `P90D`, `PT2H`, `PXY` (an
unspecified number of years), `PAST_REF`/`PRESENT_REF`/`FUTURE_REF`; underspecified calendar values keep
`X`s (`XXXX-11`, `XXXX-WXX-1`, `XXXX-XX-XXT15:00`). `mod` is START, MID, END, APPROX, LESS_THAN, MORE_THAN,
EQUAL_OR_LESS or EQUAL_OR_MORE.

Relative expressions ("gestern", "vor drei Wochen", "im nächsten Jahr", "last Tuesday", a month without a
year) are resolved against the publication date (`doc._.published`), which becomes `anchor`. Without a
publication date, expressions that need one keep `value: null` and `anchor: null`; expressions that do not
need it (absolute dates, durations, sets, PAST_REF) have `anchor: null` and a value. A calendar-impossible
date ("31.02.2024", "the 45th of May") is kept with `value: null` and `valid: false`; no value is invented.

A weekday or month without a year follows the news convention (as HeidelTime): the tense of the governing
verb decides, past tense the occurrence before the publication date, future tense the one after; "last"
and "next" decide where written; otherwise the nearest weekday, or the month of the publication year.
Tense comes from the dependency parse where there is one (English), else from the nearest tense marker
word in the sentence.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from incident_brief.nlp.extensions import register_extensions

DATA_DIR = Path(__file__).resolve().parent / "data"
TENSE_WINDOW = 25  # tokens either side of an expression searched for a tense marker
TWO_DIGIT_YEAR_PIVOT = 50  # '07 -> 2007, '82 -> 1982
PLAIN_YEARS = range(1900, 2100)  # a bare four-digit number counts as a year only in this range
SEASON_ORDER = {"SP": 1, "SU": 2, "FA": 3, "WI": 4}
DAYS_PER_UNIT = {
    "W": 7,
    "WE": 7,
    "D": 1,
    "M": 30.4,
    "Y": 365.25,
    "Q": 91.3,
    "DE": 3652.5,
}  # for "1.5 years ago"
SEASON_PREPOSITIONS = {"in", "during", "im", "over", "through", "throughout", "since", "until"}


@dataclass
class Timex:
    """One temporal expression; offsets are characters in the Doc text."""

    text: str
    start: int
    end: int
    type: str  # DATE, TIME, DURATION or SET
    value: str | None
    mod: str | None = None
    anchor: str | None = None  # the publication date a relative value was resolved against
    valid: bool = True  # False for calendar-impossible dates ("31.02.2024"); they have no value

    def to_dict(self, offset: int = 0) -> dict:
        data = {
            "text": self.text,
            "start": self.start + offset,
            "end": self.end + offset,
            "type": self.type,
            "value": self.value,
            "mod": self.mod,
            "anchor": self.anchor,
        }
        if not self.valid:
            data["valid"] = False
        return data


def register_date_extension() -> None:
    register_extensions()
    if not Doc.has_extension("timexes"):
        Doc.set_extension("timexes", default=None)


def _key(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


@dataclass(frozen=True)
class Lexicon:
    """The words of one language; keys are lower-cased (see `_key`)."""

    language: str
    data: dict = field(repr=False)

    @classmethod
    def load(cls, language: str) -> Lexicon:
        path = DATA_DIR / f"timex_{language}.json"
        if not path.exists():
            return cls(language, {})
        try:
            return cls(language, json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise ValueError(f"timex lexicon {path} is unreadable: {exc}") from None

    def table(self, name: str) -> dict:
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else dict.fromkeys(value, True)

    def get(self, name: str, text: str | None):
        return None if text is None else self.table(name).get(_key(text))


@dataclass
class Reading:
    type: str
    value: str | None
    mod: str | None = None
    relative: bool = False  # the value depends on the publication date
    valid: bool = True


class Context:
    """What a rule may look at besides its match: the anchor, the text before it, the tense."""

    def __init__(
        self, tokens: TokenIndex, text: str, start: int, end: int, anchor: date | None, lexicon: Lexicon
    ) -> None:
        self.tokens, self.text, self.anchor, self.lexicon = tokens, text, anchor, lexicon
        self.start, self.end = start, end

    @cached_property
    def tense(self) -> int:
        """-1 past, 1 future, 0 present or unknown."""
        if self.previous_words(self.start)[-1:] in (["since"], ["seit"]):
            return -1
        return clause_tense(self.tokens, self.start, self.end, self.lexicon)

    def previous_words(self, match_start: int) -> list[str]:
        before = self.text[max(0, match_start - 40) : match_start]
        if re.search(r"[.!?;:\n]\s*$", before):
            return []
        return [_key(w) for w in re.findall(r"[\w'’.-]+", before)[-2:]]

    def after_context_word(self, match_start: int) -> bool:
        words = self.previous_words(match_start)
        context = self.lexicon.table("context_words")
        return bool(words) and (words[-1] in context or " ".join(words) in context)

    def after_name(self, match_start: int) -> bool:
        return follows_name(self.text, match_start, self.lexicon.table("context_words"))

    def sentence_initial(self, match_start: int) -> bool:
        before = self.text[max(0, match_start - 3) : match_start]
        return match_start == 0 or bool(re.search(r"(^|[.!?:\n\"“„»])\s*$", before))


def follows_name(text: str, start: int, exceptions=frozenset()) -> bool:
    """Whether a capitalised word (not one of `exceptions`) that does not start a sentence comes right
    before `start`: "Windows Server 2019", "Microsoft 365" name a product, not a year or a count."""
    found = re.search(r"(?:^|(\S*)(\s+))(\w[\w.-]*)[^\S\n]+$", text[max(0, start - 60) : start])
    if not found or not found[3][0].isupper() or _key(found[3]) in exceptions:
        return False
    before, space = found[1] or "", found[2] or "\n"
    return "\n" not in space and before[-1:] not in (*'.!?:"“„»', "")


# --- values -------------------------------------------------------------------------------------


def _number(text: str | None, lexicon: Lexicon) -> float | None:
    """A count written in digits or words; None for vague ones ("several", "einige")."""
    if text is None:
        return None
    key = _key(text)
    half = key.endswith(" and a half")
    key = key.removesuffix(" and a half")
    if re.fullmatch(r"\d+([.,]\d+)?", key):
        if "," in key and lexicon.language == "en":
            key = key.replace(",", "")
        number = float(key.replace(",", "."))
    elif key in lexicon.table("fuzzy_numbers") or lexicon.get("numbers", key) == "X":
        return None
    elif (known := lexicon.get("numbers", key)) is not None:
        number = float(known)
    else:  # "twenty-five", "twenty five"
        parts = [lexicon.get("numbers", p) for p in re.split(r"[-\s]+", key)]
        if not parts or any(not isinstance(p, int | float) for p in parts):
            return None
        number = float(sum(parts))
    return number + 0.5 if half else number


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else f"{number:g}"


def duration_value(number: float | None, unit: str) -> str:
    if unit in ("DE", "CE", "HY"):
        if number is None:
            return {"DE": "PXDE", "CE": "PXCE", "HY": "PXM"}[unit]
        return (
            f"P{_fmt(number * 6)}M" if unit == "HY" else f"P{_fmt(number * (10 if unit == 'DE' else 100))}Y"
        )
    amount = "X" if number is None else _fmt(number)
    if unit in ("H", "MIN", "S"):
        return f"PT{amount}{ {'H': 'H', 'MIN': 'M', 'S': 'S'}[unit] }"
    return f"P{amount}{unit}"


def shifted_value(anchor: date, unit: str, count: int) -> str:
    """The calendar unit `count` units from the anchor's, at that unit's granularity."""
    if unit in ("D", "H", "MIN", "S"):
        return (anchor + timedelta(days=count if unit == "D" else 0)).isoformat()
    if unit in ("W", "WE"):
        year, week, _ = (anchor + timedelta(weeks=count)).isocalendar()
        return f"{year:04d}-W{week:02d}" + ("-WE" if unit == "WE" else "")
    if unit == "M":
        total = anchor.year * 12 + anchor.month - 1 + count
        return f"{total // 12:04d}-{total % 12 + 1:02d}"
    if unit == "Q":
        total = anchor.year * 4 + (anchor.month - 1) // 3 + count
        return f"{total // 4:04d}-Q{total % 4 + 1}"
    if unit == "HY":
        total = anchor.year * 2 + (anchor.month - 1) // 6 + count
        return f"{total // 2:04d}-H{total % 2 + 1}"
    if unit == "DE":
        return f"{anchor.year // 10 + count:03d}"
    if unit == "CE":
        return f"{anchor.year // 100 + count:02d}"
    return f"{anchor.year + count:04d}"


def _check_year(value: str) -> str:
    if value.startswith("-") or len(value.split("-")[0]) > 4:
        raise ValueError("year out of range")
    return value


def cycle_offset(anchor_position: tuple, position: tuple, shift: int | None, tense: Callable[[], int]) -> int:
    """Years to add to the anchor's year for a month, month-day, quarter or season without a year."""
    if shift == -1:
        return 0 if position < anchor_position else -1
    if shift == 1:
        return 0 if position > anchor_position else 1
    if shift == 0:
        return 0
    direction = tense()
    if direction < 0 and position > anchor_position:
        return -1
    if direction > 0 and position < anchor_position:
        return 1
    return 0


def _full_year(text: str) -> int:
    digits = text.strip("'’")
    if len(digits) == 2:
        year = int(digits)
        return 2000 + year if year < TWO_DIGIT_YEAR_PIVOT else 1900 + year
    return int(digits)


def _valid_day(year: int | None, month: int, day: int) -> bool:
    try:
        date(2000 if year is None else year, month, day)  # 2000 is a leap year: "February 29" alone is valid
    except ValueError:
        return False
    return True


class TokenIndex:
    """Character offsets to tokens by binary search (`Doc.char_span` scans the Doc: quadratic on 1 MB)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.starts = [token.idx for token in doc]
        # `Doc.has_annotation` scans every token: asked once here
        self.parsed, self.tagged = doc.has_annotation("DEP"), doc.has_annotation("TAG")
        self.sentences = doc.has_annotation("SENT_START")

    def span(self, start: int, end: int) -> Span:
        """The tokens that overlap [start, end)."""
        first = max(0, bisect.bisect_right(self.starts, start) - 1)
        if first < len(self.starts) and self.doc[first].idx + len(self.doc[first]) <= start:
            first += 1
        return self.doc[first : max(first, bisect.bisect_left(self.starts, end))]


def clause_tense(tokens: TokenIndex, start: int, end: int, lexicon: Lexicon) -> int:
    doc = tokens.doc
    span = tokens.span(start, end)
    if not len(span):
        return 0
    future, past = lexicon.table("future_markers"), lexicon.table("past_markers")
    if tokens.parsed:
        verb = next((t for t in (span.root, *span.root.ancestors) if t.pos_ in ("VERB", "AUX")), None)
        if verb is not None:
            words = [verb, *(c for c in verb.children if c.dep_ in ("aux", "auxpass"))]
            if any(w.lower_ in future for w in words):
                return 1
            return -1 if any(w.tag_ == "VBD" for w in words) else 0
    # The clause around the expression: its sentence, cut to a window (text without punctuation is one
    # sentence, and the time per expression must stay bounded).
    first, last = max(0, span.start - TENSE_WINDOW), min(len(doc), span.end + TENSE_WINDOW)
    if tokens.sentences:
        first = next((i for i in range(span.start, first, -1) if doc[i].is_sent_start), first)
        last = next((i for i in range(span.end, last) if doc[i].is_sent_start), last)
    sentence = doc[first:last]
    best, best_distance = 0, len(doc) + 1
    for token in sentence:
        if span.start <= token.i < span.end:
            continue
        kind = 1 if token.lower_ in future else -1 if token.lower_ in past or token.tag_ == "VBD" else 0
        distance = span.start - token.i if token.i < span.start else token.i - span.end
        if kind and distance < best_distance:
            best, best_distance = kind, distance
    return best


# --- rule handlers --------------------------------------------------------------------------------
# Each reads its match's named groups and returns a Reading, or None to reject the match (a shorter
# overlapping candidate may then take its place).


def _shift(lexicon: Lexicon, text: str | None) -> tuple[int | None, bool]:
    """(shift, is_article): "next" -> 1; "the"/"des" -> 0 and only meaningful after a mod."""
    if text is None:
        return None, False
    return lexicon.get("shifts", text), _key(text) in lexicon.table("article_shifts")


def _mod(lexicon: Lexicon, groups: dict) -> str | None:
    if groups.get("mod"):
        return lexicon.get("point_mods", groups["mod"].rstrip("- "))
    if groups.get("qmod"):
        return lexicon.get("quantity_mods", groups["qmod"])
    return None


def _calendar(year, month, day, mod, ctx: Context, shift: int | None, hour: str | None = None) -> Reading:
    if day is not None and not _valid_day(year, month, day):
        return Reading("DATE", None, mod, valid=False)
    clock = f"T{hour}" if hour else ""
    kind = "TIME" if hour else "DATE"
    if year is None:
        if ctx.anchor is None:
            if shift is not None:
                return Reading(kind, None, mod, relative=True)
            return Reading(kind, f"XXXX-{month:02d}" + (f"-{day:02d}" if day else "") + clock, mod)
        anchor = ctx.anchor
        position, anchor_position = (
            ((month, day), (anchor.month, anchor.day)) if day else ((month,), (anchor.month,))
        )
        year = anchor.year + cycle_offset(anchor_position, position, shift, lambda: ctx.tense)
        if day is not None and not _valid_day(year, month, day):  # "February 29" in a common year
            return Reading(kind, None, mod, relative=True, valid=False)
        return Reading(kind, f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "") + clock, mod, True)
    return Reading(kind, f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "") + clock, mod)


def _month_allowed(match: re.Match, lexicon: Lexicon, ctx: Context, groups: dict) -> bool:
    word = groups["m"]
    if not word[0].isupper():
        return False
    if groups.get("d") or groups.get("y") or groups.get("mod") or groups.get("shift"):
        return True
    return _key(word) not in lexicon.table("ambiguous_months") or ctx.after_context_word(match.start())


def handle_date(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    if groups.get("m"):
        if not _month_allowed(match, lexicon, ctx, groups):
            return None
        month = lexicon.get("months", groups["m"].rstrip("."))
    else:
        month = int(groups["mn"])
    if not month or not 1 <= month <= 12:
        return None
    day = int(groups["d"]) if groups.get("d") else None
    year = _full_year(groups["y"]) if groups.get("y") else None
    shift, article = _shift(lexicon, groups.get("shift"))
    if groups.get("yshift"):  # "October of next year", "im Oktober nächsten Jahres"
        if ctx.anchor is None:
            return Reading("DATE", None, _mod(lexicon, groups), True)
        reading = _calendar(
            ctx.anchor.year + (lexicon.get("shifts", groups["yshift"]) or 0),
            month,
            day,
            _mod(lexicon, groups),
            ctx,
            None,
        )
        reading.relative = True
        return reading
    hour = None
    if groups.get("hh"):
        hour = f"{groups['hh']}:{groups['mi']}" + (
            "Z" if groups.get("tz") in ("Z", "+00:00", "+0000") else ""
        )
    return _calendar(year, month, day, _mod(lexicon, groups), ctx, None if article else shift, hour)


def handle_numeric(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    first, second = int(match["n1"]), int(match["n2"])
    # German and dotted dates are day-month; an English slash date is month-day unless that cannot be.
    if lexicon.language == "en" and match["sep"] == "/" and first <= 12:
        first, second = second, first
    day, month = first, second
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None  # not a date at all (a version number, a ratio)
    return _calendar(_full_year(match["y"]), month, day, None, ctx, None)


def handle_year(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    mod = _mod(lexicon, groups)
    if groups.get("y2"):
        return Reading("DATE", str(_full_year(groups["y2"])), mod)
    year = int(groups["y"])
    if not (mod or groups.get("yw") or ctx.after_context_word(match.start())):
        if year not in PLAIN_YEARS:
            return None
        if ctx.after_name(match.start()):
            return None  # "Windows Server 2019", "Office 2016": a product version, not a year
        if re.match(
            r"\s*(%|percent|prozent|euro|dollar|€|\$|[a-zäöü]+%)",
            ctx.text[match.end() : match.end() + 20],
            re.I,
        ):
            return None
    if year < 1000:
        return None
    return Reading("DATE", f"{year:04d}", mod)


def handle_decade(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    digits = match["dec"].strip("'’")
    year = _full_year(digits) if len(digits) == 2 else int(digits)
    return Reading("DATE", f"{year // 10:03d}", _mod(lexicon, match.groupdict()))


def _period(match: re.Match, lexicon: Lexicon, ctx: Context, number: int, code: str) -> Reading:
    """A quarter (Q3), half-year (H2) or season (SU, numbered in its order within the year) in a written
    or an anchored year."""
    groups = match.groupdict()
    mod = _mod(lexicon, groups)
    if groups.get("y"):
        return Reading("DATE", f"{_full_year(groups['y']):04d}-{code}", mod)
    shift, article = _shift(lexicon, groups.get("shift"))
    if article:
        shift = 0  # "des Jahres", "the year": the current one
    if ctx.anchor is None:
        return Reading("DATE", None if shift is not None else f"XXXX-{code}", mod, relative=shift is not None)
    if shift is not None and groups.get("shift") and groups.get("yearref"):
        return Reading("DATE", f"{ctx.anchor.year + shift:04d}-{code}", mod, True)
    month = ctx.anchor.month
    if code.startswith("Q"):
        anchor_number = (month - 1) // 3 + 1
    elif code.startswith("H"):
        anchor_number = (month - 1) // 6 + 1
    else:  # seasons: spring 1 (March to May) ... winter 4 (December to February)
        anchor_number = (month % 12) // 3 or 4
    offset = cycle_offset((anchor_number,), (number,), shift, lambda: ctx.tense)
    return Reading("DATE", f"{ctx.anchor.year + offset:04d}-{code}", mod, True)


def handle_quarter(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    if match.groupdict().get("q"):
        word = match["q"]
        if _key(word) in lexicon.table("shifts") and not match.groupdict().get("y"):
            return None  # "letzten Quartal": the previous quarter, a relative unit
        number = lexicon.get("ordinals", word)
    else:
        number = int(match["qn"])
    return _period(match, lexicon, ctx, number, f"Q{number}") if number else None


def handle_half(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    number = lexicon.get("ordinals", match["h"]) if match.groupdict().get("h") else int(match["hn"])
    return _period(match, lexicon, ctx, number, f"H{number}") if number in (1, 2) else None


def handle_season(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    code = lexicon.get("seasons", groups["season"])
    if not (groups.get("y") or groups.get("shift") or groups.get("mod")):
        words = ctx.previous_words(match.start())
        if words[-1:] == ["the"]:
            words = words[:-1]
        if not words or words[-1] not in SEASON_PREPOSITIONS:
            return None  # "spring" and "fall" are also verbs and nouns
    if not groups["season"][0].isupper() and lexicon.language == "de":
        return None
    return _period(match, lexicon, ctx, SEASON_ORDER[code], code)


def handle_weekday(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    if not groups["wd"][0].isupper():
        return None
    weekday = lexicon.get("weekdays", groups["wd"])
    shift, article = _shift(lexicon, groups.get("shift"))
    if article:
        shift = None
    part = lexicon.get("day_parts", groups.get("part") or groups.get("part2"))
    kind = "TIME" if part else "DATE"
    suffix = f"T{part}" if part else ""
    if ctx.anchor is None:
        return (
            Reading(kind, None, None, True)
            if shift is not None
            else Reading(kind, f"XXXX-WXX-{weekday}{suffix}")
        )
    back, forward = (ctx.anchor.isoweekday() - weekday) % 7, (weekday - ctx.anchor.isoweekday()) % 7
    if shift == -1:
        days = -(back or 7)
    elif shift == 1:
        days = forward or 7
    elif shift == 0:
        days = weekday - ctx.anchor.isoweekday()
    elif ctx.tense < 0:
        days = -back
    elif ctx.tense > 0:
        days = forward
    else:
        days = -back if back <= forward else forward
    return Reading(kind, (ctx.anchor + timedelta(days=days)).isoformat() + suffix, None, True)


def handle_relday(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    word = groups["rel"]
    if word == "Morgen" and not ctx.sentence_initial(match.start()):
        return None  # German "Morgen" is the morning; "morgen" is tomorrow
    offset = lexicon.get("relative_days", word)
    part = lexicon.get("day_parts", groups.get("part")) or ("NI" if _key(word) in ("tonight",) else None)
    kind = "TIME" if part else "DATE"
    if ctx.anchor is None:
        return Reading(kind, None, None, True)
    value = (ctx.anchor + timedelta(days=offset)).isoformat() + (f"T{part}" if part else "")
    return Reading(kind, value, None, True)


def handle_daypart(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    offset = -1 if _key(match["shift"]) == "last" else 0
    part = lexicon.get("day_parts", match["part"])
    if offset and part != "NI":
        return None
    if ctx.anchor is None:
        return Reading("TIME", None, None, True)
    return Reading("TIME", f"{(ctx.anchor + timedelta(days=offset)).isoformat()}T{part}", None, True)


def handle_relunit(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    mod = _mod(lexicon, groups)
    if groups.get("cshift"):
        unit, shift, *compound_mod = lexicon.get("compound_shifts", groups["cshift"])
        mod = mod or (compound_mod[0] if compound_mod else None)
        if groups.get("y") and unit == "Y":
            return Reading("DATE", groups["y"], mod)
    else:
        shift, article = _shift(lexicon, groups["shift"])
        unit = lexicon.get("units", groups["unit"])
        if _key(groups["shift"]) in lexicon.table("duration_shifts") and not mod:
            return Reading("DURATION", duration_value(1, unit))  # "the past year": the year up to now
        if article and not mod and unit == "WE" and ctx.anchor is not None:
            # "over the weekend": the latest one in a past-tense clause, else the coming one
            back = ctx.anchor.isoweekday() < 6 and ctx.tense < 0
            return Reading("DATE", shifted_value(ctx.anchor, "WE", -1 if back else 0), None, True)
        if shift is None or (article and not mod):
            return None
    if ctx.anchor is None:
        return Reading("DATE", None, mod, True)
    return Reading("DATE", shifted_value(ctx.anchor, unit, shift), mod, True)


def handle_ago(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    unit = lexicon.get("units", groups["unit"])
    number = _number(groups.get("num"), lexicon)
    if number is None:
        return Reading("DATE", "PAST_REF")
    if ctx.anchor is None:
        return Reading("DATE", None, _mod(lexicon, groups), True)
    return _offset_reading(ctx.anchor, unit, -number, _mod(lexicon, groups))


def _offset_reading(anchor: date, unit: str, count: float, mod: str | None) -> Reading:
    try:
        if unit in ("W", "WE", "D") or count != int(count):
            days = count * DAYS_PER_UNIT.get(unit, 0)
            target = anchor + timedelta(days=round(days))
            value = shifted_value(target, unit if unit in ("W", "WE", "D") else "D", 0)
        else:
            value = shifted_value(anchor, unit, int(count))
        return Reading("DATE", _check_year(value), mod, True)
    except (OverflowError, ValueError):
        return Reading("DATE", None, mod, True, valid=False)  # before year 1 or after 9999


def handle_in(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    unit = lexicon.get("units", groups["unit"])
    number = _number(groups["num"], lexicon)
    # "in three weeks they stole ...": how long it took; "in 30 minutes": a date would say too little
    if ctx.tense < 0 or number is None or unit in ("H", "MIN", "S"):
        return Reading("DURATION", duration_value(number, unit), _mod(lexicon, groups))
    if ctx.anchor is None:
        return Reading("DATE", None, None, True)
    return _offset_reading(ctx.anchor, unit, number, None)


def handle_duration(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    unit = lexicon.get("units", groups["unit"]) if groups.get("unit") else None
    if groups.get("cunit"):
        unit = lexicon.get("compound_units", groups["cunit"])
    if groups.get("fc"):
        return Reading("DURATION", duration_value(None, lexicon.get("fuzzy_compounds", groups["fc"])))
    if unit is None:
        return None
    if unit in ("S", "Q") and _key(groups.get("num") or "") in ("a", "an"):
        return None  # "a second time", "a quarter of the staff"
    number = _number(groups.get("num"), lexicon) if groups.get("num") else None
    vague = (
        _key(groups.get("num") or "") in lexicon.table("fuzzy_numbers")
        or lexicon.get("numbers", groups.get("num")) == "X"
    )
    if groups.get("num") and number is None and not vague:
        return None
    return Reading("DURATION", duration_value(number, unit), _mod(lexicon, groups))


def handle_set(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    if groups.get("set"):
        return Reading("SET", lexicon.get("sets", groups["set"]))
    if groups.get("wds") or groups.get("wd"):
        weekday = (
            lexicon.get("weekday_sets", groups["wds"])
            if groups.get("wds")
            else lexicon.get("weekdays", groups["wd"])
        )
        return Reading("SET", f"XXXX-WXX-{weekday}")
    unit = lexicon.get("units", groups["unit"])
    number = _number(groups.get("num"), lexicon) if groups.get("num") else 1
    return Reading("SET", duration_value(number, unit))


def handle_ref(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    return Reading("DATE", lexicon.get("refs", match["ref"]))


def handle_time(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    groups = match.groupdict()
    if groups.get("clock"):
        clock = lexicon.get("clock_words", groups["clock"])
    else:
        hour, minute = int(groups["hh"]), int(groups.get("mi") or 0)
        ampm = _key(groups["ampm"]).replace(".", "") if groups.get("ampm") else None
        if ampm and not 1 <= hour <= 12:
            return None
        hour = (hour % 12) + (12 if ampm == "pm" else 0) if ampm else hour
        if hour > 24 or (hour == 24 and minute):
            return None
        clock = f"{hour:02d}:{minute:02d}"
    zone = lexicon.get("time_zones", groups.get("tz")) or ""
    mod = _mod(lexicon, groups)
    if ctx.anchor is None:
        return Reading("TIME", f"XXXX-XX-XXT{clock}{zone}", mod)
    return Reading("TIME", f"{ctx.anchor.isoformat()}T{clock}{zone}", mod, True)


def handle_holiday(match: re.Match, lexicon: Lexicon, ctx: Context) -> Reading | None:
    if not match["hol"][0].isupper():
        return None
    month, day = (int(p) for p in lexicon.get("holidays", match["hol"]).split("-"))
    year = _full_year(match["y"]) if match.groupdict().get("y") else None
    return _calendar(year, month, day, None, ctx, None)


HANDLERS: dict[str, Callable[[re.Match, Lexicon, Context], Reading | None]] = {
    "date": handle_date,
    "numeric": handle_numeric,
    "year": handle_year,
    "decade": handle_decade,
    "quarter": handle_quarter,
    "half": handle_half,
    "season": handle_season,
    "weekday": handle_weekday,
    "relday": handle_relday,
    "daypart": handle_daypart,
    "relunit": handle_relunit,
    "ago": handle_ago,
    "in": handle_in,
    "duration": handle_duration,
    "set": handle_set,
    "ref": handle_ref,
    "time": handle_time,
    "holiday": handle_holiday,
}

# --- grammars -------------------------------------------------------------------------------------
# «NAME» stands for an alternation of a lexicon table's keys (longest first). Group `x`, where present,
# is the expression's extent (without the signal word: "in three weeks" -> "three weeks").

SEP = r"(?:\s*-\s*|\s+)"
YEAR4 = r"(?P<y>\d{4})(?!\d)"
NEUTRAL_RULES = [
    (
        "date",
        r"(?P<y>\d{4})-(?P<mn>[01]\d)-(?P<d>[0-3]\d)"
        r"(?:[T ](?P<hh>[0-2]\d):(?P<mi>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?"
        r"(?P<tz>Z|[+-][0-2]\d:?[0-5]\d)?)?(?![-\d])",
    ),
    (
        "numeric",
        r"(?<![\d./-])(?P<n1>\d{1,2})(?P<sep>[./])(?P<n2>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?!\d|[./]\d)",
    ),
    ("time", r"(?<![\d:.])(?P<hh>[01]?\d|2[0-4]):(?P<mi>[0-5]\d)(?::[0-5]\d)?(?![\d:])(?:\s*(?P<tz>«TZ»))?"),
]
EN_RULES = [
    *NEUTRAL_RULES,
    (
        "date",
        r"(?:(?P<wd>«WEEKDAY»),?\s+)?(?P<m>«MONTH»)\s+(?P<d>\d{1,2})(?!\d)(?:st|nd|rd|th)?"
        r"(?:\s*,?\s*" + YEAR4 + ")?",
    ),
    (
        "date",
        r"(?:(?P<wd>«WEEKDAY»),?\s+)?(?:the\s+)?(?P<d>\d{1,2})(?!\d)(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<m>«MONTH»)"
        r"(?:\s*,?\s*" + YEAR4 + ")?",
    ),
    (
        "date",
        r"(?:(?P<mod>«MOD»)"
        + SEP
        + r")?(?P<m>«MONTH_FULL»)(?:\s*,?\s*(?:of\s+)?"
        + YEAR4
        + r"|\s+of\s+(?P<yshift>«SHIFT»)\s+year)?",
    ),
    ("date", r"(?:(?P<mod>«MOD»)" + SEP + r")?(?P<shift>«SHIFT»)\s+(?P<m>«MONTH_FULL»)"),
    (
        "year",
        r"(?:(?P<mod>«MOD»)"
        + SEP
        + r")?(?:(?P<yw>(?:the\s+)?(?:fiscal\s+)?year)\s+)?(?P<y>\d{4})(?![.,:/]\d|-\d|\d)",
    ),
    ("year", r"(?:(?P<mod>«MOD»)" + SEP + r")?(?P<y2>['’]\d{2})(?!['’\w])"),
    ("decade", r"(?:(?P<mod>«MOD»)" + SEP + r")?(?:the\s+)?(?P<dec>(?:1\d|20)\d0|['’]?\d0)['’]?s"),
    (
        "quarter",
        r"(?:the\s+)?(?P<q>«ORD»)[\s-]+quarter(?:\s+(?:of\s+)?(?:"
        + YEAR4
        + r"|(?:the\s+)?(?P<shift>«SHIFT»)\s+"
        r"(?P<yearref>year)|the\s+year))?",
    ),
    ("quarter", r"(?-i:Q)(?P<qn>[1-4])(?:\s*[/'’-]?\s*" + YEAR4 + ")?"),
    ("quarter", r"(?P<qn>[1-4])(?-i:Q)\s*" + YEAR4),
    (
        "half",
        r"(?:the\s+)?(?P<h>«ORD»)\s+half\s+of\s+(?:"
        + YEAR4
        + r"|(?:the\s+)?(?P<shift>«SHIFT»)\s+(?P<yearref>year)"
        r"|the\s+year)",
    ),
    ("half", r"(?-i:H)(?P<hn>[12])\s*[/'’-]?\s*" + YEAR4),
    (
        "season",
        r"(?:(?P<mod>«MOD»)"
        + SEP
        + r")?(?:(?P<shift>«SHIFT»)\s+)?(?P<season>«SEASON»)(?:\s+(?:of\s+)?"
        + YEAR4
        + ")?",
    ),
    ("weekday", r"(?:(?P<shift>«SHIFT»)\s+)?(?P<wd>«WEEKDAY»)(?:\s+(?P<part>«PART»))?"),
    ("set", r"(?:every|each)\s+(?P<wd>«WEEKDAY»)|(?P<wds>«WEEKDAY_SET»)"),
    ("relday", r"(?:(?:earlier|later)\s+)?(?P<rel>«RELDAY»)(?:\s+(?P<part>«PART»))?"),
    ("daypart", r"(?P<shift>this|last)\s+(?P<part>«PART»)"),
    ("relunit", r"(?:(?P<mod>«MOD»)" + SEP + r")?(?P<shift>«SHIFT»)\s+(?P<unit>«POINT_UNIT»)"),
    ("ago", r"(?:(?P<qmod>«QMOD»)\s+)?(?P<num>«NUM»)[\s-]+(?P<unit>«UNIT»)\s+ago"),
    ("ago", r"(?P<unit>«PLURAL_UNIT»)\s+ago"),
    ("in", r"in\s+(?P<x>(?P<num>«NUM»)\s+(?P<unit>«UNIT»))"),
    (
        "duration",
        r"(?:(?P<qmod>«QMOD»)\s+|(?:the\s+)?(?P<pshift>«PLURAL_SHIFT»)\s+)?(?P<num>«NUM»)"
        + SEP
        + r"(?:«COUNT_ADJ»\s+)?(?P<unit>«UNIT»)(?:-long|-old)?",
    ),
    (
        "duration",
        r"(?:the\s+)?(?P<pshift>«PLURAL_SHIFT»)\s+(?:few\s+|couple\s+of\s+)?(?P<unit>«PLURAL_UNIT»)",
    ),
    (
        "duration",
        r"(?:for|over\s+the|within)\s+(?P<x>(?P<unit>years|decades|months|weeks|days|hours|minutes))",
    ),
    ("duration", r"(?P<fc>«FUZZY_COMPOUND»)"),
    ("set", r"(?P<set>«SET»)"),
    ("set", r"(?:every|each)\s+(?P<num>«NUM»)\s+(?P<unit>«UNIT»)"),
    ("set", r"(?:once|twice|(?:\d+|«NUM»)\s+times)\s+(?:a|an|per)\s+(?P<unit>«POINT_UNIT»)"),
    ("ref", r"(?P<ref>«REF»)"),
    (
        "time",
        r"(?:(?P<qmod>«QMOD»)\s+)?(?<![\d:.])(?P<hh>\d{1,2})(?::(?P<mi>[0-5]\d))?\s*(?P<ampm>a\.m\.|p\.m\.|am|pm)"
        r"(?:\s+(?P<tz>«TZ»))?",
    ),
    ("time", r"(?P<hh>[01]\d|2[0-3])(?P<mi>[0-5]\d)\s*(?P<tz>«TZ»)"),
    ("time", r"(?P<clock>«CLOCK»)"),
    ("holiday", r"(?P<hol>«HOLIDAY»)(?:\s+" + YEAR4 + ")?"),
]
DE_DET = r"(?:(?:des|dem|der|den|das|die)\s+)"
DE_RULES = [
    *NEUTRAL_RULES,
    (
        "date",
        r"(?:(?P<wd>«WEEKDAY»),?\s+(?:(?:den|dem)\s+)?)?(?P<d>\d{1,2})\.\s*(?P<m>«MONTH»)(?:\s+"
        + YEAR4
        + ")?",
    ),
    (
        "date",
        r"(?:(?P<mod>«MOD»)\s+)?(?P<m>«MONTH_FULL»)(?:\s+"
        + YEAR4
        + r"|\s+"
        + DE_DET
        + r"?(?P<yshift>«SHIFT»)\s+Jahres)?",
    ),
    ("date", r"(?:(?P<mod>«MOD»)\s+)?(?P<shift>«SHIFT»)\s+(?P<m>«MONTH_FULL»)"),
    (
        "year",
        r"(?:(?P<mod>«MOD»)\s+)?(?:(?P<yw>" + DE_DET + r"?(?:Jahr(?:es|e|s)?|Geschäftsjahr(?:es|s)?))\s+)?"
        r"(?P<y>\d{4})(?![.,:/]\d|-\d|\d)",
    ),
    ("decade", r"(?:(?P<mod>«MOD»)\s+)?" + DE_DET + r"?(?P<dec>(?:1\d|20)\d0|\d0)er(?:[\s-]*Jahren?)?"),
    (
        "quarter",
        DE_DET + r"?(?P<q>«ORD»)\s*Quartal(?:s|es)?(?:\s+(?:" + YEAR4 + r"|(?:des\s+)?(?P<shift>«SHIFT»)\s+"
        r"(?P<yearref>Jahres)))?",
    ),
    ("quarter", r"(?-i:Q)(?P<qn>[1-4])(?:\s*[/-]?\s*" + YEAR4 + ")?"),
    (
        "half",
        DE_DET + r"?(?P<h>«ORD»)\s*(?:Halbjahr(?:es|s)?|Jahreshälfte)(?:\s+(?:" + YEAR4 + r"|(?:des\s+)?"
        r"(?P<shift>«SHIFT»)\s+(?P<yearref>Jahres)))?",
    ),
    ("half", r"(?-i:H)(?P<hn>[12])\s*[/-]?\s*" + YEAR4),
    (
        "season",
        r"(?:(?P<mod>«MOD»)\s+)?"
        + DE_DET
        + r"?(?:(?P<shift>«SHIFT»)\s+)?(?P<season>«SEASON»)(?:\s+"
        + YEAR4
        + ")?",
    ),
    ("weekday", r"(?:(?P<shift>«SHIFT»)\s+)?(?P<wd>«WEEKDAY»)(?P<part>«PART»)?(?:\s+(?P<part2>«PART»))?"),
    ("set", r"(?:jeden|jede)\s+(?P<wd>«WEEKDAY»)|(?P<wds>«WEEKDAY_SET»)"),
    ("relday", r"(?P<rel>«RELDAY»)(?:\s+(?P<part>«PART»))?"),
    ("relunit", r"(?:(?P<mod>«MOD»)\s+)?" + DE_DET + r"?(?P<shift>«SHIFT»)\s+(?P<unit>«POINT_UNIT»)"),
    ("relunit", r"(?:(?P<mod>«MOD»)\s+)?" + DE_DET + r"?(?P<cshift>«COMPOUND_SHIFT»)(?:\s+" + YEAR4 + ")?"),
    ("ago", r"vor\s+(?:(?P<qmod>«QMOD»)\s+)?(?P<num>«NUM»)\s+(?P<unit>«UNIT»)"),
    ("ago", r"vor\s+(?P<unit>«PLURAL_UNIT»)"),
    ("in", r"(?:in|binnen)\s+(?P<x>(?P<num>«NUM»)\s+(?P<unit>«UNIT»))"),
    (
        "duration",
        r"(?:(?P<qmod>«QMOD»)\s+|(?:(?:die|den|der)\s+)?(?P<pshift>«PLURAL_SHIFT»)\s+)?(?P<num>«NUM»)"
        + SEP
        + r"(?:«COUNT_ADJ»\s+)?(?P<unit>«UNIT»)(?:\s+lang)?",
    ),
    ("duration", r"(?P<num>«NUMWORD»|\d+)-?(?P<cunit>«COMPOUND_UNIT»)(?:-?\w+)?"),
    (
        "duration",
        r"(?:(?:den|die|der)\s+)?(?P<pshift>«PLURAL_SHIFT»)\s+(?:(?:paar|wenigen)\s+)?(?P<unit>«PLURAL_UNIT»)",
    ),
    ("duration", r"seit\s+(?P<x>(?P<unit>Jahren|Jahrzehnten|Monaten|Wochen))"),
    ("duration", r"(?P<fc>«FUZZY_COMPOUND»)"),
    ("set", r"(?P<set>«SET»)"),
    ("set", r"(?:alle|jede[nrs]?)\s+(?P<num>«NUM»)\s+(?P<unit>«UNIT»)"),
    ("set", r"(?:einmal|zweimal|dreimal|\d+\s*-?mal)\s+(?:im|pro|je|in\s+der|am)\s+(?P<unit>«POINT_UNIT»)"),
    ("ref", r"(?P<ref>«REF»)"),
    (
        "time",
        r"(?:(?P<qmod>«QMOD»)\s+)?(?<![\d:.])(?P<hh>[01]?\d|2[0-4])(?:[:.](?P<mi>[0-5]\d))?\s*Uhr(?:\s+(?P<tz>«TZ»))?",
    ),
    ("time", r"(?P<clock>«CLOCK»)"),
    ("holiday", r"(?P<hol>«HOLIDAY»)(?:\s+" + YEAR4 + ")?"),
]
RULES = {"en": EN_RULES, "de": DE_RULES}


def _alternation(words) -> str:
    escaped = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        pattern = re.escape(word).replace(r"\ ", r"\s+").replace("'", "['’]")
        escaped.append(pattern)
    return "(?:" + "|".join(escaped) + ")"


def _abbreviations_with_dot(months: dict) -> list[str]:
    """ "Sept." and "Jan." with their dot; a full name ("May", "Mai") never takes the sentence's full stop."""
    full = {}
    for name, number in months.items():
        full[number] = max(full.get(number, ""), name, key=len)
    return [f"{name}." for name, number in months.items() if name != full[number]]


def _placeholders(lexicon: Lexicon) -> dict[str, list[str]]:
    table = lexicon.table
    months = table("months")
    weekdays = [w for w in table("weekdays") if len(w) > 3]
    numbers = [*table("numbers"), *table("fuzzy_numbers")]
    return {
        "MONTH": [*months, *_abbreviations_with_dot(months)],
        "MONTH_FULL": [m for m in months if len(m) > 3 or m == "mai" or m == "may"],
        "WEEKDAY": weekdays,
        "WEEKDAY_SET": list(table("weekday_sets")),
        "SEASON": list(table("seasons")),
        "PART": list(table("day_parts")),
        "NUMWORD": list(table("numbers")),
        "NUM": [*numbers, "__DIGITS__"],
        "COUNT_ADJ": list(table("count_adjectives")),
        "UNIT": list(table("units")),
        "PLURAL_UNIT": list(table("plural_units")),
        "POINT_UNIT": list(table("point_units")),
        "COMPOUND_UNIT": list(table("compound_units")),
        "FUZZY_COMPOUND": list(table("fuzzy_compounds")),
        "RELDAY": list(table("relative_days")),
        "SHIFT": list(table("shifts")),
        "PLURAL_SHIFT": list(table("plural_shifts")),
        "COMPOUND_SHIFT": list(table("compound_shifts")),
        "MOD": list(table("point_mods")),
        "QMOD": list(table("quantity_mods")),
        "ORD": list(table("ordinals")),
        "REF": list(table("refs")),
        "SET": list(table("sets")),
        "HOLIDAY": list(table("holidays")),
        "CLOCK": list(table("clock_words")),
        "TZ": list(table("time_zones")),
    }


def _number_pattern(lexicon: Lexicon, words: str) -> str:
    """Digits, a number word, tens and units ("twenty-five"), English "two and a half"."""
    numbers = lexicon.table("numbers")
    tens = [w for w, n in numbers.items() if isinstance(n, int) and n % 10 == 0 and 20 <= n <= 90]
    units = [w for w, n in numbers.items() if isinstance(n, int) and 1 <= n <= 9 and len(w) > 2]
    compound = rf"{_alternation(tens)}[-\s]{_alternation(units)}|" if tens and units else ""
    half = r"(?:\s+and\s+a\s+half)?" if lexicon.language == "en" else ""
    return rf"(?:\d+(?:[.,]\d+)?|(?:{compound}{words}){half})"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern


def compile_rules(lexicon: Lexicon) -> list[Rule]:
    words = _placeholders(lexicon)
    rules = []
    for kind, template in RULES.get(lexicon.language, NEUTRAL_RULES):
        names = re.findall(r"«(\w+)»", template)
        if any(name != "TZ" and not words[name] for name in names):
            continue  # the language lacks the words this rule needs
        body = template
        for name in set(names):
            alternation = _alternation(w for w in words[name] if w != "__DIGITS__") if words[name] else "(?!)"
            if name == "NUM":
                alternation = _number_pattern(lexicon, alternation)
            body = body.replace(f"«{name}»", alternation)
        # No expression runs across a line break (a title, a dateline, a paragraph).
        body = body.replace(r"[\s-]", r"(?:[^\S\n]|-)").replace(r"\s", r"[^\S\n]")
        rules.append(Rule(kind, re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)))
    return rules


@dataclass
class Candidate:
    start: int
    end: int
    order: int
    kind: str
    match: re.Match = field(repr=False)


class DateTagger:
    """The `incident_dates` component: writes `doc._.timexes`."""

    def __init__(self, language: str) -> None:
        self.lexicon = Lexicon.load(language)
        self.rules = compile_rules(self.lexicon)

    def __call__(self, doc: Doc) -> Doc:
        doc._.timexes = self.tag(doc, parse_anchor(doc._.published))
        return doc

    def tag(self, doc: Doc, anchor: date | None) -> list[Timex]:
        text = doc.text  # Doc.text is rebuilt on every access
        tokens = TokenIndex(doc)
        candidates = []
        for order, rule in enumerate(self.rules):
            for match in rule.pattern.finditer(text):
                start, end = (
                    match.span("x") if "x" in rule.pattern.groupindex and match["x"] else match.span()
                )
                candidates.append(Candidate(start, end, order, rule.kind, match))
        candidates.sort(key=lambda c: (c.start - c.end, c.start, c.order))
        chosen: list[tuple[Candidate, Reading]] = []
        taken = Intervals()
        for candidate in candidates:
            if taken.overlaps(candidate.start, candidate.end):
                continue
            context = Context(tokens, text, candidate.start, candidate.end, anchor, self.lexicon)
            reading = HANDLERS[candidate.kind](candidate.match, self.lexicon, context)
            if reading is None:
                continue
            taken.add(candidate.start, candidate.end)
            chosen.append((candidate, reading))
        chosen.sort(key=lambda item: item[0].start)
        return _merge_times(text, [_timex(text, c, r, anchor) for c, r in chosen])


class Intervals:
    """Non-overlapping [start, end) intervals, kept sorted for logarithmic overlap tests."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)
        return i > 0 and self.ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _timex(text: str, candidate: Candidate, reading: Reading, anchor: date | None) -> Timex:
    used_anchor = anchor.isoformat() if reading.relative and anchor else None
    value = reading.value if reading.valid else None
    return Timex(
        text=text[candidate.start : candidate.end],
        start=candidate.start,
        end=candidate.end,
        type=reading.type,
        value=value,
        mod=reading.mod,
        anchor=used_anchor,
        valid=reading.valid,
    )


_JOINER = re.compile(r"\s*(?:,|at|on|um|am|gegen|,\s*um|,\s*at)?\s*", re.IGNORECASE)
_DAY_VALUE = re.compile(r"(\d{4}|XXXX)-(\d\d|XX)-(\d\d|XX)")


def _merge_times(text: str, timexes: list[Timex]) -> list[Timex]:
    """A clock time next to a day ("Monday at 3 p.m.", "16:00 UTC today") becomes one TIME."""
    merged: list[Timex] = []
    for timex in timexes:
        previous = merged[-1] if merged else None
        if previous and _JOINER.fullmatch(text[previous.end : timex.start]):
            clock, day = _clock_and_day(previous, timex)
            if clock and day:
                value = None if day.value is None else f"{day.value}T{clock.value.split('T', 1)[1]}"
                merged[-1] = Timex(
                    text=text[previous.start : timex.end],
                    start=previous.start,
                    end=timex.end,
                    type="TIME",
                    value=value,
                    mod=clock.mod or day.mod,
                    anchor=day.anchor,
                    valid=day.valid,
                )
                continue
        merged.append(timex)
    return merged


def _clock_and_day(first: Timex, second: Timex) -> tuple[Timex | None, Timex | None]:
    def is_clock(t: Timex) -> bool:
        return t.type == "TIME" and t.value is not None and bool(re.search(r"T\d\d:\d\d", t.value))

    def is_day(t: Timex) -> bool:
        return t.type == "DATE" and (t.value is None or bool(_DAY_VALUE.fullmatch(t.value or "")))

    if is_clock(first) and is_day(second):
        return first, second
    if is_day(first) and is_clock(second):
        return second, first
    return None, None


def parse_anchor(published: str | None) -> date | None:
    if not published:
        return None
    try:
        return date.fromisoformat(str(published)[:10])
    except ValueError:
        return None


@Language.factory("incident_dates", default_config={"language": None})
def make_date_tagger(nlp: Language, name: str, language: str | None) -> DateTagger:
    register_date_extension()
    return DateTagger(language or nlp.lang)
