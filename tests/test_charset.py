from incident_brief.corpus.charset import decode_html

GERMAN = (
    "Die Behörde warnt: Größere Schäden durch die Lücke wurden nicht gemeldet, äußerte sich der Sprecher."
)


def test_latin1_page_with_correct_header():
    page = f"<p>{GERMAN}</p>".encode("iso-8859-1")
    text, encoding = decode_html(page, "text/html; charset=ISO-8859-1")
    assert text == f"<p>{GERMAN}</p>"
    assert encoding == "cp1252"  # browsers read ISO-8859-1 as windows-1252


def test_windows_1252_page_declared_as_iso_8859_1():
    # 0x93/0x94 are curly double quotes and 0x80 the euro sign in windows-1252, controls in ISO-8859-1.
    page = b"<p>\x93Gr\xfc\xdfe\x94 kostet 5 \x80, sagt die Beh\xf6rde.</p>"
    text, encoding = decode_html(page, "text/html; charset=iso-8859-1")
    assert text == "<p>\u201cGrüße\u201d kostet 5 \u20ac, sagt die Behörde.</p>"
    assert encoding == "cp1252"


def test_utf8_bytes_beat_a_wrong_latin1_header():
    page = f"<p>{GERMAN} 5 €</p>".encode()
    text, encoding = decode_html(page, 'text/html; charset="iso-8859-1"')
    assert text == f"<p>{GERMAN} 5 €</p>"
    assert encoding == "utf-8"


def test_utf8_with_byte_order_mark():
    text, encoding = decode_html(
        b"\xef\xbb\xbf" + f"<p>{GERMAN}</p>".encode(), "text/html; charset=iso-8859-1"
    )
    assert text == f"<p>{GERMAN}</p>"  # the BOM wins over the header and is not part of the text
    assert encoding == "utf-8"


def test_utf16_with_byte_order_mark():
    text, encoding = decode_html("\ufeff<p>Grüße</p>".encode("utf-16-le"))
    assert text == "<p>Grüße</p>"
    assert encoding == "utf-16-le"


def test_meta_charset_without_header():
    head = b'<html><head><meta charset="windows-1252"><title>x</title></head>'
    text, encoding = decode_html(head + b"<p>Gr\xfc\xdfe \x80</p>")
    assert text.endswith("<p>Grüße €</p>")
    assert encoding == "cp1252"


def test_meta_http_equiv_without_header():
    # ISO-8859-15 puts the euro sign at 0xA4, where ISO-8859-1 has the currency sign ¤.
    head = b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
    text, encoding = decode_html(head + b"<p>5 \xa4 f\xfcr \xc4rger</p>", "text/html")
    assert text.endswith("<p>5 € für Ärger</p>")
    assert encoding == "iso8859-15"


def test_header_wins_over_meta():
    page = b'<meta charset="utf-8"><p>Gr\xfc\xdfe</p>'  # not valid UTF-8, so the declarations decide
    text, encoding = decode_html(page, "text/html; charset=windows-1252")
    assert text.endswith("<p>Grüße</p>")
    assert encoding == "cp1252"


def test_unknown_charset_names_fall_through():
    page = b'<meta charset="windows-1252"><p>Gr\xfc\xdfe</p>'
    text, encoding = decode_html(page, "text/html; charset=x-no-such-charset")
    assert text.endswith("<p>Grüße</p>")
    assert encoding == "cp1252"
    # "base64" names a codec, but not a text encoding: it must be skipped too, not crash.
    text, _ = decode_html(b'<meta charset="base64"><p>Gr\xfc\xdfe</p>')
    assert text.endswith("<p>Grüße</p>")


def test_meta_claiming_utf16_is_read_as_utf8():
    text, encoding = decode_html('<meta charset="utf-16"><p>Grüße</p>'.encode())
    assert text == '<meta charset="utf-16"><p>Grüße</p>'
    assert encoding == "utf-8"


def test_undeclared_legacy_page_is_guessed_with_umlauts_intact():
    page = f"<html><body><p>{GERMAN}</p><p>{GERMAN}</p></body></html>".encode("iso-8859-1")
    text, _ = decode_html(page)
    assert GERMAN in text


def test_ascii_and_empty_pages():
    assert decode_html(b"<p>plain</p>") == ("<p>plain</p>", "utf-8")
    assert decode_html(b"") == ("", "utf-8")


def test_undecodable_bytes_become_replacement_characters():
    text, encoding = decode_html(b"<p>\xff\xfa</p>", "text/html; charset=utf-8")
    assert (text, encoding) == ("<p>\ufffd\ufffd</p>", "utf-8")
