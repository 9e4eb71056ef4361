"""Every registered parser reads back what its replica template rendered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from replica_samples import ENGLISH, FRENCH, VIETNAMESE

from crawler.replica.render import render_article, template_names
from spiders.parsers import parse_article
from spiders.parsers.registry import parser_names

FETCHED_AT = datetime(2026, 3, 9, tzinfo=UTC)
# A URL on each source's site (the templates repeat it as canonical and og:url).
URLS = {
    "mst": "https://mst.gov.vn/cong-bo-mo-hinh-ngon-ngu-197260307154200123.htm",
    "vietnamvn": "https://www.vietnam.vn/cong-bo-mo-hinh-ngon-ngu-lon-tieng-viet",
    "baochinhphu": "https://baochinhphu.vn/cong-bo-mo-hinh-ngon-ngu-102260307154200123.htm",
    "vnexpress": "https://vnexpress.net/cong-bo-mo-hinh-ngon-ngu-5048001.html",
    "vietnamplus": "https://www.vietnamplus.vn/cong-bo-mo-hinh-ngon-ngu-post1125999.vnp",
    "vietnamnet": "https://vietnamnet.vn/cong-bo-mo-hinh-ngon-ngu-2495999.html",
    "nhandan": "https://nhandan.vn/cong-bo-mo-hinh-ngon-ngu-post976999.html",
    "tuoitre": "https://tuoitre.vn/cong-bo-mo-hinh-ngon-ngu-20260307154200123.htm",
    "dantri": "https://dantri.com.vn/cong-nghe/cong-bo-mo-hinh-ngon-ngu-20260307154200123.htm",
    "nld": "https://nld.com.vn/cong-bo-mo-hinh-ngon-ngu-196260307154200123.htm",
    "genk": "https://genk.vn/cong-bo-mo-hinh-ngon-ngu-165260307154200123.chn",
    "cafef": "https://cafef.vn/cong-bo-mo-hinh-ngon-ngu-188260307154200123.chn",
    "baodautu": "https://baodautu.vn/cong-bo-mo-hinh-ngon-ngu-d539999.html",
    "generic": "https://tintuc.example.vn/cong-nghe/cong-bo-mo-hinh-ngon-ngu",
}
# Editions in other languages that the same templates serve.
EDITIONS = [
    ("vietnamplus", ENGLISH, "https://en.vietnamplus.vn/ministry-releases-model-post300001.vnp"),
    ("vietnamvn", ENGLISH, "https://www.vietnam.vn/en/ministry-releases-open-source-model"),
    ("vietnamvn", FRENCH, "https://www.vietnam.vn/fr/le-vietnam-publie-un-modele"),
    ("generic", ENGLISH, "https://news.example.com/tech/ministry-releases-model"),
]


def test_every_parser_has_a_template() -> None:
    assert set(parser_names()) <= set(template_names())


def round_trip(name: str, article: dict[str, Any], url: str) -> None:
    article = {**article, "url": url}
    html = render_article(name, article)
    parsed = parse_article(html.encode("utf-8"), url, parser=name, fetched_at=FETCHED_AT)
    assert parsed.title == article["title"]
    assert parsed.summary == article["summary"]
    assert parsed.text.split("\n\n") == article["paragraphs"]
    assert parsed.authors == article["authors"]
    assert parsed.published_at is not None
    assert parsed.published_at.isoformat(timespec="minutes") == article["published_at"].isoformat(
        timespec="minutes"
    )
    assert parsed.language == article["language"]
    assert parsed.url == url


@pytest.mark.parametrize("name", parser_names())
def test_round_trip(name: str) -> None:
    round_trip(name, VIETNAMESE, URLS[name])


@pytest.mark.parametrize(("name", "article", "url"), EDITIONS)
def test_round_trip_other_languages(name: str, article: dict[str, Any], url: str) -> None:
    round_trip(name, article, url)
