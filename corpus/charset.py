"""Turn the bytes of a web page into text, trusting the strongest evidence of its encoding first."""

from __future__ import annotations

import codecs
import re
from email.message import Message

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard), and pages labelled so
# really do use its 0x80-0x9F characters (curly quotes, the euro sign).
_AS_WINDOWS_1252 = {"iso8859-1", "ascii"}
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)
_META_WINDOW = 4096  # browsers look in the first 1024 bytes, but real pages pad their heads


def decode_html(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page; returns (text, Python codec name of the encoding used).

    Order: byte order mark; valid UTF-8 with non-ASCII bytes (it beats a wrong header); the charset
    of the full Content-Type header; a <meta> declaration; charset_normalizer's guess; UTF-8 with
    replacement characters. Unknown or unusable charset names fall through to the next step.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace"), encoding
    if not content.isascii():
        try:
            return content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass  # not UTF-8: look for a declaration
    candidates = [_header_charset(content_type), _meta_charset(content)]
    if not content.isascii():
        guess = charset_normalizer.from_bytes(content).best()
        candidates.append(guess.encoding if guess is not None else None)
    for label in candidates:
        encoding = _codec_name(label)
        text = _decode(content, encoding) if encoding else None
        if text is not None:
            return text, encoding
    return content.decode("utf-8", errors="replace"), "utf-8"


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    header = Message()
    header["content-type"] = content_type
    charset = header.get_param("charset")
    return charset if isinstance(charset, str) else None


def _meta_charset(content: bytes) -> str | None:
    match = _META_CHARSET.search(content, 0, _META_WINDOW)
    if match is None:
        return None
    label = match.group(1).decode("ascii")
    # A declaration readable as ASCII cannot be UTF-16, whatever it says (WHATWG: use UTF-8).
    return "utf-8" if (_codec_name(label) or "").startswith("utf-16") else label


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_WINDOWS_1252 else name


def _decode(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding, errors="replace")
    except (LookupError, UnicodeError):  # a codec that is not a text encoding, such as "base64"
        return None
