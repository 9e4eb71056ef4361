"""URL canonicalisation: the canonical URL is an article's identity."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track the reader and never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "zarsrc",
        "zalo_source",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "cmpid",
        "itm_source",
        "itm_medium",
        "itm_campaign",
        "itm_content",
        "vn_source",
        "vn_medium",
        "vn_campaign",
        "vnexpress_source",
    }
)
TRACKING_PREFIXES = ("utm_", "itm_", "vn_", "pk_", "mtm_")
SAFE_SCHEMES = frozenset({"http", "https"})
# Characters no host name may hold (WHATWG URL "forbidden host code points").
FORBIDDEN_HOST_CHARS = frozenset("\x00#%/:<>?@[\\]^|")


class InvalidURL(ValueError):
    """Raised for a URL that cannot identify a web page (no http(s) scheme or host)."""


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Canonical form of an http(s) URL: tracking parameters and fragment removed,
    host lowercased, default port dropped, query sorted, path percent-encoded (w3lib).

    Raises :class:`InvalidURL` for anything that is not an absolute http(s) URL.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"not a valid URL: {url!r} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES or not parts.hostname:
        raise InvalidURL(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    else:
        _check_host(host, url)
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k)
        ]
    )
    rebuilt = urlunsplit((scheme, host, parts.path or "/", query, ""))
    try:
        canonical = canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError as exc:  # w3lib's own checks (ports, hosts it cannot encode)
        raise InvalidURL(f"not a valid URL: {url!r} ({exc})") from exc
    canonical_host = host_of(canonical)
    if ":" not in canonical_host:  # IDNA can turn odd letters into an invalid name
        _check_host(canonical_host, url)
    return canonical


def _check_host(host: str, url: str) -> None:
    if not host or any(c in FORBIDDEN_HOST_CHARS or c.isspace() for c in host):
        raise InvalidURL(f"not a valid host name in {url!r}")


def is_http_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host; used to drop javascript:, data: etc."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in SAFE_SCHEMES and bool(parts.netloc)


def host_of(url: str) -> str:
    """Lowercased host name of ``url`` without port ("" when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True when ``url``'s host is one of ``domains`` or a subdomain of one (www. ignored)."""
    host = host_of(url).rstrip(".").removeprefix("www.")
    if not host:
        return False
    for domain in domains:
        domain = domain.lower().removeprefix("www.")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs are on the same registrable-ish site (www. ignored)."""
    a, b = host_of(url_a), host_of(url_b)
    a = a.removeprefix("www.")
    b = b.removeprefix("www.")
    return bool(a) and (a == b or a.endswith("." + b) or b.endswith("." + a))
