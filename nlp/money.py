"""`incident_money`: amounts of money and counted quantities, with their number as a value.

Money: a number with a currency before ("$1bn", "£4.5m", "US$ 40 billion", "EUR 3,2 Mio.") or after
("1 Milliarde US-Dollar", "3,2 Millionen Euro", "2 millions d'euros", "10 Bitcoin"), or a German compound
("1-Milliarden-Dollar-Deal"). Currencies are ISO 4217 codes ("Dollar", "US-Dollar", "$" -> USD); Bitcoin,
which has none, is "BTC". Quantities: a number followed by the noun it counts ("eine Million Lizenzen",
"12,000 SMEs", "750.000 Patienten") get `currency: null` and `unit` (the noun as written); percentages get
the unit "percent". A number inside a temporal expression (`doc._.timexes`, when `incident_dates` ran
first), a bare year, or a number right after a capitalised word inside a sentence ("Microsoft 365",
"Windows 11", "Version 2") is not a quantity.

Number formats follow the language: German (and other non-English text) groups thousands with "." and
writes decimals with "," ("1.000,50", "3,2"), English the other way round ("1,000.50"). A separator
used once before exactly three digits is the language's grouping mark; otherwise a decimal mark.
German "Billion" is 10^12, English "billion" 10^9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from incident_brief.nlp.dates import Intervals, TokenIndex, follows_name
from incident_brief.nlp.extensions import register_extensions

CURRENCY_SYMBOLS = {
    "US$": "USD", "U.S.$": "USD", "$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD",
    "HK$": "HKD", "NZ$": "NZD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "₿": "BTC",
}  # fmt: skip
CURRENCY_CODES = set("USD EUR GBP CHF JPY CNY RUB AUD CAD INR SEK NOK DKK PLN BTC".split())
CURRENCY_WORDS = {
    "us-dollar": "USD", "us-dollars": "USD", "us dollar": "USD", "us dollars": "USD", "u.s. dollars": "USD",
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "d'euros": "EUR", "de dollars": "USD",
    "pfund": "GBP", "pound": "GBP", "pounds": "GBP", "pounds sterling": "GBP", "britische pfund": "GBP",
    "franken": "CHF", "schweizer franken": "CHF", "swiss francs": "CHF", "francs suisses": "CHF",
    "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "rubel": "RUB", "rubles": "RUB", "roubles": "RUB",
    "bitcoin": "BTC", "bitcoins": "BTC", "rupees": "INR", "rupien": "INR",
}  # fmt: skip
MULTIPLIERS = {
    "thousand": 1e3, "tausend": 1e3, "tsd.": 1e3, "tsd": 1e3, "mille": 1e3, "million": 1e6, "millions": 1e6,
    "millionen": 1e6, "mio.": 1e6, "mio": 1e6, "mln": 1e6, "billion": 1e9, "billions": 1e9, "milliarde": 1e9,
    "milliarden": 1e9, "mrd.": 1e9, "mrd": 1e9, "milliard": 1e9, "milliards": 1e9, "trillion": 1e12,
    "trillions": 1e12, "billionen": 1e12, "bio.": 1e12,
}  # fmt: skip
GERMAN_MULTIPLIERS = {"billion": 1e12}  # the German long scale: Milliarde 10^9, Billion 10^12
SHORT_MULTIPLIERS = {"k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "twenty": 20, "hundred": 100, "several": None, "ein": 1, "eine": 1,
    "einer": 1, "einem": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "zwölf": 12, "zwanzig": 20, "hundert": 100, "un": 1, "une": 1,
    "deux": 2, "trois": 3, "cinq": 5, "dix": 10,
}  # fmt: skip
PERCENT = {"%", "percent", "per cent", "prozent", "pour cent"}
# Words after a number that are not what it counts.
NOT_COUNTED = {
    "of", "and", "or", "to", "in", "on", "at", "for", "the", "a", "an", "und", "oder", "bis", "im",
    "von", "der", "die", "das", "den", "dem", "des", "mal", "times", "x", "et", "de", "la", "le", "les",
}  # fmt: skip
NUMBER = r"\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
MAX_UNIT_LOOKAHEAD = 3  # tokens between a number and the noun it counts ("750.000 betroffene Patienten")


@dataclass
class Amount:
    """An amount of money (currency set) or a counted quantity (unit set); offsets into the Doc text."""

    text: str
    start: int
    end: int
    amount: float
    currency: str | None = None
    unit: str | None = None

    def to_dict(self, offset: int = 0) -> dict:
        amount = (
            int(self.amount) if self.amount == int(self.amount) and abs(self.amount) < 1e15 else self.amount
        )
        return {
            "text": self.text,
            "start": self.start + offset,
            "end": self.end + offset,
            "amount": amount,
            "currency": self.currency,
            "unit": self.unit,
        }


def register_money_extension() -> None:
    register_extensions()
    if not Doc.has_extension("money"):
        Doc.set_extension("money", default=None)


def _alternation(words) -> str:
    escaped = (re.escape(w).replace(r"\ ", r"[^\S\n]+").replace("'", "['’]") for w in words)
    return "(?:" + "|".join(sorted(escaped, key=len, reverse=True)) + ")"


def parse_number(text: str, language: str) -> float:
    """ "1.000,50" (de) and "1,000.50" (en) -> 1000.5; "3,2" (de) -> 3.2; "12,000" (en) -> 12000."""
    digits = text.replace("'", "").replace("’", "")
    grouping = "," if language == "en" else "."
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif "," in digits or "." in digits:
        mark = "," if "," in digits else "."
        single_group = digits.count(mark) == 1 and re.fullmatch(rf"\d+{re.escape(mark)}\d{{3}}", digits)
        decimal = None if digits.count(mark) > 1 or (single_group and mark == grouping) else mark
    else:
        decimal = None
    if decimal is None:
        return float(digits.replace(",", "").replace(".", ""))
    whole, _, fraction = digits.rpartition(decimal)
    return float(whole.replace(",", "").replace(".", "") + "." + fraction)


class MoneyTagger:
    """The `incident_money` component: writes `doc._.money`."""

    def __init__(self, language: str) -> None:
        self.language = language
        symbols = _alternation(CURRENCY_SYMBOLS)
        codes = _alternation(CURRENCY_CODES)
        words = _alternation(CURRENCY_WORDS)
        multipliers = _alternation(MULTIPLIERS)
        short = _alternation(SHORT_MULTIPLIERS)
        number_words = _alternation(NUMBER_WORDS)
        amount = (
            rf"(?P<num>{NUMBER})(?:(?P<short>{short})(?!\w)|[^\S\n]*-?[^\S\n]*(?P<mult>{multipliers})(?!\w))?"
        )
        word_amount = rf"(?P<wnum>{number_words})[^\S\n]+(?P<wmult>{multipliers})(?!\w)"
        self.rules = [
            # $1bn, US$ 40 billion, EUR 3,2 Mio.
            re.compile(rf"(?P<pre>{symbols}|(?<![\w$]){codes})[^\S\n]?{amount}", re.IGNORECASE),
            # 1 Milliarde US-Dollar, 5 million dollars, 3,2 Mio. €, eine Million Euro
            re.compile(
                rf"(?<![\w.,])(?:{amount}|{word_amount})[^\S\n]*(?P<post>(?<!\w){words}|{codes}(?!\w)|[€$£¥])",
                re.IGNORECASE,
            ),
            # 1-Milliarden-Dollar-Deal, 10-Millionen-Euro-Auftrag
            re.compile(
                rf"(?<![\w.,])(?P<num>{NUMBER})-(?:(?P<mult>{multipliers})-)?(?P<post>{words}|{codes})(?:-\w+)+",
                re.IGNORECASE,
            ),
        ]
        self.quantity = re.compile(rf"(?<![\w.,/:-])(?:{amount}|{word_amount})(?![\w]|[.,]\d)", re.IGNORECASE)
        self.percent = re.compile(
            rf"(?<![\w.,])(?P<num>{NUMBER})[^\S\n]*(?P<pct>{_alternation(PERCENT)})(?!\w)", re.I
        )

    def __call__(self, doc: Doc) -> Doc:
        doc._.money = self.find(doc)
        return doc

    def find(self, doc: Doc) -> list[Amount]:
        text = doc.text  # Doc.text is rebuilt on every access
        tokens = TokenIndex(doc)
        taken = Intervals()  # temporal expressions, then what is found here
        for timex in (doc._.timexes or []) if Doc.has_extension("timexes") else []:
            taken.add(timex.start, timex.end)
        found: list[Amount] = []

        def free(start: int, end: int) -> bool:
            return not taken.overlaps(start, end)

        def keep(amount: Amount) -> None:
            taken.add(amount.start, amount.end)
            found.append(amount)

        for rule in self.rules:
            for match in rule.finditer(text):
                value = self._value(match)
                if value is not None and free(*match.span()):
                    currency = self._currency(match)
                    keep(Amount(match.group(), match.start(), match.end(), value, currency))
        for match in self.percent.finditer(text):
            if free(*match.span()):
                keep(Amount(match.group(), *match.span(), self._value(match), unit="percent"))
        for match in self.quantity.finditer(text):
            value = self._value(match)
            if value is None or not free(*match.span()) or self._looks_like_year(match):
                continue
            if not match.groupdict().get("mult") and follows_name(text, match.start()):
                continue  # "Microsoft 365 Copilot", "Windows 11", "Version 2": a name, not a count
            noun = self._counted_noun(tokens, len(text), match.end())
            if noun is None:
                continue
            end = noun.idx + len(noun.text)
            if free(match.start(), end):
                keep(Amount(text[match.start() : end], match.start(), end, value, unit=noun.text))
        return sorted(found, key=lambda a: a.start)

    def _value(self, match: re.Match) -> float | None:
        groups = match.groupdict()
        if groups.get("wnum"):
            base = NUMBER_WORDS.get(groups["wnum"].lower())
            multiplier = groups.get("wmult")
        else:
            base = parse_number(groups["num"], self.language)
            multiplier = groups.get("mult")
        if base is None:
            return None
        if groups.get("short"):
            if not (groups.get("pre") or groups.get("post")):
                return None  # "5m" alone may be metres
            return base * SHORT_MULTIPLIERS[groups["short"].lower()]
        if multiplier:
            key = multiplier.lower()
            factor = (GERMAN_MULTIPLIERS.get(key) if self.language == "de" else None) or MULTIPLIERS[key]
            return base * factor
        return base

    @staticmethod
    def _currency(match: re.Match) -> str:
        marker = match.group("pre") if match.groupdict().get("pre") else match.group("post")
        key = " ".join(marker.replace("’", "'").split())
        return (
            CURRENCY_SYMBOLS.get(key)
            or (key.upper() if key.upper() in CURRENCY_CODES else None)
            or CURRENCY_WORDS[key.lower()]
        )

    @staticmethod
    def _looks_like_year(match: re.Match) -> bool:
        number = match.groupdict().get("num") or ""
        return not match.groupdict().get("mult") and bool(re.fullmatch(r"1[5-9]\d\d|20\d\d", number))

    def _counted_noun(self, tokens: TokenIndex, length: int, end: int):
        """The noun a number counts: the first noun within a few tokens (by tag where there is one;
        in German the first capitalised word), skipping adjectives."""
        following = tokens.span(end, min(length, end + 80))
        tagged = tokens.tagged
        for i, token in enumerate(following[:MAX_UNIT_LOOKAHEAD]):
            if token.is_punct or token.is_space or token.like_num or token.lower_ in NOT_COUNTED:
                return None
            if tagged:
                if token.pos_ in ("NOUN", "PROPN"):
                    return token
                if token.pos_ != "ADJ":
                    return None
            elif self.language == "de":
                if token.text[:1].isupper():
                    return token
                if not token.text.isalpha():
                    return None
            else:
                return token if token.is_alpha and i == 0 else None
        return None


@Language.factory("incident_money", default_config={"language": None})
def make_money_tagger(nlp: Language, name: str, language: str | None) -> MoneyTagger:
    register_money_extension()
    return MoneyTagger(language or nlp.lang)
