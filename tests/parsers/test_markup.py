"""Decoding page bytes and reading paragraphs."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spiders.parsers.markup import Block, blocks, decode_html, make_soup, text_of

VIETNAMESE = "Bộ Khoa học và Công nghệ công bố mô hình ngôn ngữ mở, được cộng đồng đón nhận."
FRENCH = "Le ministère a publié un modèle élégant, très attendu par les chercheurs."


def to_cp1258(text: str) -> bytes:
    """windows-1258 as Vietnamese legacy software writes it: base letters with
    combining tone marks where no precomposed code exists."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        for i, mark in enumerate(marks):
            rest = "".join(marks[:i] + marks[i + 1 :])
            try:
                out += (unicodedata.normalize("NFC", base + mark) + rest).encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:  # "ọ": the base letter and its combining mark
            out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)


def test_utf8_page() -> None:
    assert decode_html(VIETNAMESE.encode()) == (VIETNAMESE, "utf-8")


def test_declared_utf8_but_windows_1258_is_not_mojibake() -> None:
    data = b'<meta charset="utf-8"><p>' + to_cp1258(VIETNAMESE) + b"</p>"
    text, encoding = decode_html(data, "utf-8")
    assert encoding == "cp1258"
    assert VIETNAMESE in text
    assert "\ufffd" not in text


def test_undeclared_cp1252_western_page() -> None:
    text, encoding = decode_html(FRENCH.encode("cp1252"))
    assert (text, encoding) == (FRENCH, "cp1252")


def test_declared_windows_1258_is_honoured() -> None:
    data = b'<meta charset="windows-1258">' + to_cp1258(VIETNAMESE)
    text, encoding = decode_html(data)
    assert encoding == "cp1258"
    assert text.endswith(VIETNAMESE)


def test_http_charset_wins_over_meta_and_accepts_a_content_type() -> None:
    data = b'<meta charset="utf-8">' + to_cp1258(VIETNAMESE)
    text, encoding = decode_html(data, "text/html; charset=windows-1258")
    assert encoding == "cp1258"
    assert VIETNAMESE in text


def test_single_byte_declaration_on_utf8_bytes_reads_utf8() -> None:
    text, encoding = decode_html(VIETNAMESE.encode(), "text/html; charset=ISO-8859-1")
    assert (text, encoding) == (VIETNAMESE, "utf-8")


def test_bom_wins() -> None:
    text, encoding = decode_html(codecs.BOM_UTF16_LE + VIETNAMESE.encode("utf-16-le"), "utf-8")
    assert text == VIETNAMESE and encoding.startswith("utf-16")


def test_unknown_declared_encoding_is_ignored() -> None:
    assert decode_html(VIETNAMESE.encode(), "x-no-such-charset")[0] == VIETNAMESE


def test_decoded_text_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", VIETNAMESE)
    assert decode_html(decomposed.encode())[0] == VIETNAMESE


@given(st.binary(max_size=400), st.one_of(st.none(), st.sampled_from(["utf-8", "cp1258", "x"])))
def test_any_bytes_decode(data: bytes, encoding: str | None) -> None:
    text, name = decode_html(data, encoding)
    assert isinstance(text, str) and name


def test_blocks_group_text_by_block_element() -> None:
    soup = make_soup(
        "<div>Mở <b>đầu</b> bài<p>Đoạn có <a href='/x'>liên kết</a> giữa câu</p>đuôi<br>sau br"
        "<ul><li>một</li><li>hai</li></ul><!-- chú thích --><span>cuối</span></div>"
    )
    assert blocks(soup.div) == [
        Block("Mở đầu bài"),
        Block("Đoạn có liên kết giữa câu", ("/x",)),
        Block("đuôi"),
        Block("sau br"),
        Block("một"),
        Block("hai"),
        Block("cuối"),
    ]


def test_inline_pieces_join_without_spaces() -> None:
    soup = make_soup("<p><span>T</span><span>rước khi tính thuế</span></p>")
    assert text_of(soup.p) == "Trước khi tính thuế"


def test_deeply_nested_page_does_not_exhaust_the_stack() -> None:
    depth = 3000
    soup = make_soup("<div>" * depth + "<p>sâu</p>" + "</div>" * depth)
    assert [b.text for b in blocks(soup.body)] == ["sâu"]


@pytest.mark.parametrize("value", [None, ""])
def test_text_of_nothing(value: str | None) -> None:
    assert text_of(make_soup(value or "").select_one("h1")) == ""
