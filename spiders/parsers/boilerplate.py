"""What is not article text on Vietnamese news pages, and how bylines are written.

Two layers, both shared by every parser: elements removed from the body before its
text is read (:data:`DROP_SELECTORS`), and paragraphs recognised by their words once
read (:func:`is_caption`, :func:`is_boilerplate`), which also cleans the output of
the generic extractor where there is no markup to go by. Site modules add their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from crawler.text import clean_line, fold

# Containers, as opposed to inline elements: class-name rules below only remove
# containers, so an in-text link styled "cms-relate" (nhandan) keeps its words.
_BOX = ":is(div, section, ul, ol, li, table, p, nav, header, footer, article, dl)"


def _boxes(*words: str) -> tuple[str, ...]:
    return tuple(f'{_BOX}[class*="{word}" i]' for word in words)


# Removed from a body element before reading it. Case-insensitive substring matches
# on class names catch each CMS's spelling (PhotoCMS_Caption, media-caption...).
DROP_SELECTORS: tuple[str, ...] = (
    # not text
    "script", "style", "noscript", "template", "iframe", "object", "embed", "video",
    "audio", "svg", "canvas", "form", "button", "input", "select", "textarea",
    # pictures and their captions
    "figure", "figcaption", "picture", "img", '[class*="caption" i]',
    # related-article boxes (VCCorp CMS boxes, dantri's in-body asides, "TIN MỚI")
    "aside", '[type="RelatedNewsBox"]', '[type="RelatedOneNews"]', "[relatednewsboxtype]",
    ".tindnd", "[data-marked-zoneid]", *_boxes("relate", "readmore", "read-more"),
    # advertising slots
    "zone", "ins", ".rennab", "[data-ads]", '[id^="adzone"]', '[id^="admzone"]',
    ".vmcadszone", ".ads", '[class^="ads_"]', ".adsbygoogle",
    *_boxes("sda_", "banner", "advert"),
    # share widgets and author boxes inside the body
    ".fb-like", *_boxes("share", "social", "author"),
)  # fmt: skip

# A caption or credit line: it starts with a credit label...
_CAPTION_START_RE = re.compile(
    r"^[(\[]?\s*(?:ảnh|video|clip|đồ\s*h(?:ọa|oạ)|infographic|nguồn\s*ảnh|"
    r"ảnh\s*minh\s*h(?:ọa|oạ)|photo|photos|image|graphic|vidéo)\s*[:：]",
    re.IGNORECASE,
)
# ...or is short and ends with one ("Một dự án của FLC. Ảnh: Hồng Khanh").
_CAPTION_END_RE = re.compile(
    r"(?:^|[.\-–—(]\s*)[(\[]?(?:ảnh|video|clip|nguồn\s*ảnh|photo|photos|vidéo)\s*[:：]"
    r"\s*[^:;!?]{1,80}[)\]]?\.?$",
    re.IGNORECASE,
)
_CAPTION_ALONE_RE = re.compile(r"^[(\[]?\s*ảnh\s*minh\s*h(?:ọa|oạ|oa)\s*[)\]]?\.?$", re.IGNORECASE)
MAX_CAPTION_CHARS = 300

# Whole paragraphs that are navigation, compared folded ("TIN MỚI" -> "tin moi").
_BOILERPLATE_LINES = frozenset(
    {
        "tin moi", "tin lien quan", "bai lien quan", "xem them", "doc them",
        "tham khao them", "doc tiep", "xem tiep", "chia se", "binh luan", "copy link",
        "lay link", "comment", "comments", "read more", "related", "related news",
        "related articles", "see also", "lire aussi", "voir aussi", "a lire aussi",
        "tin cung chuyen muc", "cung chuyen muc", "tin doc nhieu", "share", "partager",
        "in bai viet", "luu bai viet", "quay lai", "tro ve", "theo doi", "xem video",
    }
)  # fmt: skip
_COUNT_RE = re.compile(r"\(\s*\d+\s*\)")
_NON_WORD_RE = re.compile(r"[\W_]+")
# Paragraphs introducing a related link: "Xem thêm: <title>", ">> Đọc thêm".
_RELATED_WORDS = (
    r"(?:xem them|doc them|tham khao them|tin lien quan|bai lien quan|xem tiep|"
    r"read more|related|see also|lire aussi|voir aussi|a lire aussi)"
)
_BOILERPLATE_PREFIX_RE = re.compile(rf"^(?:>+\s*{_RELATED_WORDS}|{_RELATED_WORDS}\s*[:»>])")

# "Source: <link>" (fr "Source :", vi "Nguồn:") closing a translated or republished page.
SOURCE_LINE_RE = re.compile(
    r"^(?:source|nguồn(?:\s+(?:tin|bài))?|theo\s+nguồn)\s*[:：]\s*(?P<rest>.*)$", re.IGNORECASE
)
# The start of such a line, to find it among a page's text nodes.
SOURCE_START_RE = re.compile(r"^\s*(?:source|nguồn|theo\s+nguồn)\b", re.IGNORECASE)
URL_IN_TEXT_RE = re.compile(r"https?://[^\s<>\"')\]]+")

# A source credit opening a standfirst: "(Chinhphu.vn) - ", "(NLĐO)- ", "(Dân trí) - ".
_DATELINE_RE = re.compile(r"^\s*\([^()]{2,40}\)\s*[-–—:]\s*")

_AUTHOR_PREFIX_RE = re.compile(
    r"^(?:theo|bài(?:\s*(?:và|,|&)\s*ảnh)?|bài viết|tác giả|thực hiện|nhóm phóng viên|"
    r"by|par|written by)\s*[:：]?\s+",
    re.IGNORECASE,
)
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:[;,|]|\s[-–—]\s|\svà\s|\sand\s|\set\s)\s*", re.IGNORECASE)
_PARENTHESES_RE = re.compile(r"\s*\([^()]*\)")
# A byline part naming an organisation, not a person ("Thanh Tâm - Sở Thông tin").
_ORGANISATION_RE = re.compile(
    r"^(?:sở|bộ|ban|phòng|vụ|cục|viện|trường|trung tâm|văn phòng|ủy ban|ubnd|báo|"
    r"tạp chí|đài|cổng|công ty|tập đoàn|hội|ministry|department|office)\b",
    re.IGNORECASE,
)
_DOMAIN_LIKE_RE = re.compile(r"(?:^https?://|@|\.(?:vn|com|net|org|info)\b)", re.IGNORECASE)
MAX_AUTHOR_CHARS = 60
_SUBDOMAIN_LABELS = frozenset({"www", "m", "en", "fr", "es", "amp", "mobile"})
_SUFFIX_LABELS = frozenset({"vn", "com", "net", "org", "gov", "edu", "info", "int"})


def is_caption(text: str) -> bool:
    """True for an image/video caption or credit line."""
    if _CAPTION_START_RE.match(text) or _CAPTION_ALONE_RE.match(text):
        return True
    return len(text) <= MAX_CAPTION_CHARS and _CAPTION_END_RE.search(text) is not None


def is_boilerplate(text: str) -> bool:
    """True for navigation paragraphs: "TIN MỚI", "Xem thêm: ...", "Comment (0)"..."""
    folded = fold(text)
    if _BOILERPLATE_PREFIX_RE.match(folded):
        return True
    words = _NON_WORD_RE.sub(" ", _COUNT_RE.sub(" ", folded)).strip()
    return words in _BOILERPLATE_LINES


def strip_dateline(text: str) -> str:
    """A standfirst without its opening source credit ("(Dân trí) - ")."""
    stripped = _DATELINE_RE.sub("", text, count=1)
    return stripped if stripped.strip() else text


def _compact(text: str) -> str:
    return _NON_WORD_RE.sub("", fold(text))


def site_keys(url: str, names: Iterable[str] = ()) -> frozenset[str]:
    """Compact folded forms naming the site: host labels ("dantri") and given names."""
    host = (urlsplit(url).hostname or "").lower()
    labels = [
        label
        for label in host.split(".")
        if label and label not in _SUBDOMAIN_LABELS and label not in _SUFFIX_LABELS
    ]
    keys = {_compact(label) for label in labels} | {_compact(name) for name in names}
    return frozenset(key for key in keys if len(key) >= 3)


def is_site_name(name: str, keys: frozenset[str]) -> bool:
    """True when ``name`` names the publication, not a person ("TUOI TRE ONLINE")."""
    if _DOMAIN_LIKE_RE.search(name):
        return True
    compact = _compact(name)
    return any(key == compact or key in compact for key in keys)


def strip_site_suffix(text: str, keys: frozenset[str]) -> str:
    """``text`` without a trailing " - Báo VnExpress" / " | Báo Dân trí" naming the site."""
    match = re.search(r"\s+[-|–—]\s+([^-|–—]{2,60})$", text)
    if match and is_site_name(match.group(1), keys):
        return text[: match.start()].rstrip()
    return text


def clean_authors(raw: str) -> list[str]:
    """Names from a byline: "Theo Hồ Hương" -> ["Hồ Hương"], "A; B" -> ["A", "B"].

    Parenthesised notes go ("Hà Thu (tổng hợp)", "Minh Anh (TTXVN)"), unless the
    whole byline is one: "(TTXVN/Vietnam+)" is the only credit vietnamplus gives and
    is kept as "TTXVN/Vietnam+". An organisation next to a person goes ("Thanh Tâm -
    Sở Thông tin"); an organisation alone stays ("Phòng Truyền thông").
    """
    text = clean_line(raw)
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    text = _PARENTHESES_RE.sub("", text).strip() or text
    text = _AUTHOR_PREFIX_RE.sub("", text)  # before splitting: "Bài và ảnh: Lê Phương"
    names = []
    for part in _AUTHOR_SPLIT_RE.split(text):
        name = _AUTHOR_PREFIX_RE.sub("", part.strip(" .:-–—")).strip(" .:-–—")
        if name and len(name) <= MAX_AUTHOR_CHARS and not name.isdigit():
            names.append(name)
    # an organisation beside a person is their employer; alone, it is the credit
    people = [name for name in names if not _ORGANISATION_RE.match(name)]
    return people or names
