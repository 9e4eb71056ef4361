"""DNS resolution for crawls: Scrapy's caching resolver, minus names that cannot exist.

Special-use names (RFC 6761/6762: ``.invalid``, ``.test``, ``.example``, ``.local``,
``.onion``...) never resolve on the public internet, so they are failed at once with
``DNSLookupError`` instead of being sent to the system resolver. A source configured
with such a host (a typo, a placeholder, a test) costs no DNS traffic and no timeout.
"""

from __future__ import annotations

from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

RESERVED_SUFFIXES = (".invalid", ".test", ".example", ".local", ".onion", ".alt")


def is_reserved(name: str) -> bool:
    lowered = name.lower().rstrip(".")
    return any(lowered.endswith(s) or lowered == s[1:] for s in RESERVED_SUFFIXES)


class ReservedNameResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if is_reserved(name):
            return defer.fail(DNSLookupError(f"{name} is a special-use name that never resolves"))
        return super().getHostByName(name, timeout)
