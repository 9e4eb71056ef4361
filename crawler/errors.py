"""Names for the ways a crawl meets trouble, as recorded in run statistics and logs.

Every problem a crawl skips is counted under ``newswatch/errors/<kind>`` and the last
one is kept as ``newswatch/last_error`` ("kind: url: message"); the runner copies them
to ``run_sources.errors`` and ``run_sources.last_error``. Kinds are short and stable:
``http_404``, ``dns``, ``timeout``, ``too_large``, ``robots_unavailable``...
"""

from __future__ import annotations

import logging
import re
from typing import Any

from twisted.python.failure import Failure

log = logging.getLogger(__name__)

# Exception class name -> recorded kind. Names, not classes, so that Twisted/Scrapy
# internals moving between modules do not break the mapping.
_KINDS = {
    # Scrapy >= 2.19 wraps download failures in its own exceptions
    "CannotResolveHostError": "dns",
    "DownloadConnectionRefusedError": "connection_refused",
    "DownloadTimeoutError": "timeout",
    "DownloadCancelledError": "too_large",
    "DownloadFailedError": "connection_lost",
    "ResponseDataLossError": "data_loss",
    "UnsupportedURLSchemeError": "unsupported_scheme",
    # Twisted and older Scrapy
    "DNSLookupError": "dns",
    "ConnectionRefusedError": "connection_refused",
    "TCPTimedOutError": "timeout",
    "TimeoutError": "timeout",
    "UserTimeoutError": "timeout",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ConnectionAborted": "connection_lost",
    "ResponseNeverReceived": "connection_lost",
    "ResponseFailed": "connection_lost",
    "_DataLoss": "data_loss",
    "PotentialDataLoss": "data_loss",
    "CancelledError": "too_large",  # Scrapy cancels a download exceeding DOWNLOAD_MAXSIZE
    "SSLError": "tls",
    "Error": "tls",  # OpenSSL.SSL.Error
    "NoRouteError": "no_route",
    "ConnectError": "connect_failed",
}


def error_kind(failure: Failure) -> str:
    """A short, stable name for ``failure``: ``http_404``, ``dns``, ``timeout``..."""
    value = failure.value
    response = getattr(value, "response", None)
    if response is not None and hasattr(response, "status"):
        return f"http_{response.status}"
    name = type(value).__name__
    if name == "IgnoreRequest":
        return _ignored_kind(str(value).lower())
    if name in ("ResponseFailed", "ResponseNeverReceived"):
        reasons = getattr(value, "reasons", []) or []
        inner = {type(r.value).__name__ for r in reasons if isinstance(r, Failure)}
        if inner & {"_DataLoss", "PotentialDataLoss"}:
            return "data_loss"
    if name in _KINDS:
        return _KINDS[name]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _ignored_kind(message: str) -> str:
    """Scrapy drops requests with IgnoreRequest for several reasons; its message says which.

    Prefixes are checked before substrings: the message may quote URLs.
    """
    prefixes = {
        "redirect loop": "redirect_loop",
        "redirect to another site": "offsite_redirect",
        "rate limited": "rate_limited",
        "robots.txt unavailable": "robots_unavailable",
        "forbidden by robots.txt": "robots_forbidden",
        "filtered offsite request": "offsite",
        "max redirections reached": "too_many_redirects",
    }
    for prefix, kind in prefixes.items():
        if message.startswith(prefix):
            return kind
    if "exceeded download_maxsize" in message:
        return "too_large"  # e.g. a gzip bomb stopped while decompressing
    return "ignored"


def record_error(stats: Any, kind: str, message: str, *, count_error: bool = True) -> None:
    """Count a skipped page or entry point under ``kind`` and keep it as the last error.

    ``count_error`` False counts the kind without adding to ``error_count`` (pages that
    answered but are not articles). Logs a warning naming the kind.
    """
    if stats is not None:
        stats.inc_value(f"newswatch/errors/{kind}")
        if count_error:
            stats.inc_value("newswatch/error_count")
        stats.set_value("newswatch/last_error", f"{kind}: {message}"[:500])
    log.warning("%s: %s", kind, message)


def close_crawl(crawler: Any, reason: str) -> None:
    """Ask the engine to close the spider with ``reason`` as its finish reason."""
    from scrapy.utils.defer import deferred_from_coro

    try:
        engine = crawler.engine  # Scrapy >= 2.19 raises RuntimeError before the crawl
    except (AttributeError, RuntimeError):
        return
    if engine is None or getattr(engine, "spider", None) is None:
        return  # not running (yet or any more): nothing to close
    closing = deferred_from_coro(engine.close_spider_async(reason=reason))
    closing.addErrback(lambda failure: log.debug("closing the spider: %s", failure.value))
