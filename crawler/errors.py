"""Names for the ways a fetch fails, as recorded in run statistics and logs."""

from __future__ import annotations

import re

from twisted.python.failure import Failure

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
        message = str(value).lower()
        if "robots.txt" in message:
            return "robots_forbidden"
        if "offsite" in message:
            return "offsite"
        return "ignored"
    if name in ("ResponseFailed", "ResponseNeverReceived"):
        reasons = getattr(value, "reasons", []) or []
        inner = {type(r.value).__name__ for r in reasons if isinstance(r, Failure)}
        if inner & {"_DataLoss", "PotentialDataLoss"}:
            return "data_loss"
    if name in _KINDS:
        return _KINDS[name]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
