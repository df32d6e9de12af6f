"""TIMEX3 values as timeline points: their precision and where their period starts (for ordering)."""

from __future__ import annotations

import re
from datetime import date

_PRECISIONS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?"), "minute"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}"), "hour"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T(MO|AF|EV|NI)"), "part of day"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "day"),
    (re.compile(r"\d{4}-W\d{2}(-WE)?"), "week"),
    (re.compile(r"\d{4}-\d{2}"), "month"),
    (re.compile(r"\d{4}-(SP|SU|FA|WI)"), "season"),
    (re.compile(r"\d{4}-Q[1-4]"), "quarter"),
    (re.compile(r"\d{4}-H[12]"), "half-year"),
    (re.compile(r"\d{4}"), "year"),
    (re.compile(r"\d{3}"), "decade"),
]
_SEASON_MONTH = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}


def precision(value: str | None) -> str | None:
    """The precision of a calendar value; None for durations, sets, references and partial dates."""
    if not value:
        return None
    return next((name for pattern, name in _PRECISIONS if pattern.fullmatch(value)), None)


def period_start(value: str) -> str:
    """A sortable ISO date-time where the value's period begins ("2026-Q4" -> "2026-10-01")."""
    year = value[:4] if len(value) >= 4 else value[:3] + "0"
    rest = value[5:]
    if rest.startswith("W"):
        week = int(rest[1:3])
        try:
            return date.fromisocalendar(int(year), week, 1).isoformat()
        except ValueError:
            return f"{year}-12-31"
    if rest.startswith("Q"):
        return f"{year}-{(int(rest[1]) - 1) * 3 + 1:02d}-01"
    if rest.startswith("H"):
        return f"{year}-{1 if rest[1] == '1' else 7:02d}-01"
    if rest[:2] in _SEASON_MONTH:
        return f"{year}-{_SEASON_MONTH[rest[:2]]:02d}-01"
    return value if len(value) >= 7 else f"{year}-01-01"


def overlaps(a: str, b: str) -> bool:
    """Whether one value refines the other ("2026-10" and "2026-10-12"), so they do not conflict."""
    return a.startswith(b) or b.startswith(a)


_PARTS_OF_DAY = {"MO": "morning", "AF": "afternoon", "EV": "evening", "NI": "night", "DT": "daytime"}
_SEASONS = {"SP": "spring", "SU": "summer", "FA": "autumn", "WI": "winter"}


def readable(value: str) -> str:
    """A TIMEX3 value as a reader writes it: "2026-11-03TAF" -> "2026-11-03 afternoon", "2026-10-12T08:30"
    -> "2026-10-12 08:30", "2026-W41" -> "2026, week 41", "2026-SU" -> "summer 2026"; others unchanged."""
    if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(MO|AF|EV|NI|DT)", value):
        return f"{match[1]} {_PARTS_OF_DAY[match[2]]}"
    if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2})(:\d{2})?(:\d{2})?", value):
        return f"{match[1]} {match[2]}{match[3] or ':00'}"
    if match := re.fullmatch(r"(\d{4})-W(\d{2})(-WE)?", value):
        return f"{match[1]}, week {int(match[2])}" + (" (weekend)" if match[3] else "")
    if match := re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", value):
        return f"{_SEASONS[match[2]]} {match[1]}"
    if match := re.fullmatch(r"(\d{4})-(Q[1-4]|H[12])", value):
        return f"{match[2]} {match[1]}"
    return value
