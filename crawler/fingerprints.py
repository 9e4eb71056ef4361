"""A compact, exact-enough set of URL fingerprints (a Golomb-Rice coded set).

A crawl dispatched to another machine must know which article URLs are already stored,
but Scrapyd hands a job its settings as command-line arguments, and Linux caps one
argument at 128 KB. Sending the URLs themselves (~90 bytes each) does not scale; a
Golomb-Rice coded set of 64-bit hashes costs about ``bits + 1.5`` bits per URL (about 4
bytes at the default 30 bits), and answers "is this URL known?" with a false-positive
rate of ``2 ** -bits`` per query (about one in a billion) and no false negatives.

A false positive would make the spider skip a new article, so the rate is kept far
below anything a monitor would notice; a false negative cannot happen, so a known page
is never fetched twice because of this encoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DEFAULT_BITS = 30
MAGIC = b"GCS1"


def url_hash(url: str) -> int:
    """A stable 64-bit hash of ``url`` (the same on every machine and Python version)."""
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big")


class FingerprintSet:
    """Membership of URL hashes, built from URLs, encoded to bytes and back."""

    def __init__(self, values: Iterable[int], count: int, bits: int) -> None:
        self.count = count  # the number of URLs the set was built from
        self.bits = bits
        self.modulus = max(1, count) << bits
        self._values = frozenset(values)

    @classmethod
    def from_urls(cls, urls: Iterable[str], *, bits: int = DEFAULT_BITS) -> FingerprintSet:
        unique = set(urls)
        modulus = max(1, len(unique)) << bits
        return cls((url_hash(u) % modulus for u in unique), len(unique), bits)

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and url_hash(url) % self.modulus in self._values

    def __len__(self) -> int:
        return len(self._values)

    def encode(self) -> bytes:
        """``MAGIC``, URL count (4 bytes), bits (1 byte), entries (4 bytes), then the
        Rice-coded sorted deltas. Entries can be fewer than URLs when two hashes collide."""
        parts: list[str] = []
        previous = 0
        mask = (1 << self.bits) - 1
        for value in sorted(self._values):
            delta = value - previous
            previous = value
            # Quotient in unary (q ones and a zero), remainder in exactly `bits` bits.
            parts.append("1" * (delta >> self.bits) + "0" + format(delta & mask, f"0{self.bits}b"))
        bitstring = "".join(parts)
        padding = -len(bitstring) % 8
        bitstring += "1" * padding  # trailing ones can never start a complete entry
        body = int(bitstring, 2).to_bytes(len(bitstring) // 8, "big") if bitstring else b""
        header = (
            MAGIC
            + self.count.to_bytes(4, "big")
            + bytes([self.bits])
            + len(self._values).to_bytes(4, "big")
        )
        return header + body

    @classmethod
    def decode(cls, data: bytes) -> FingerprintSet:
        """The set :meth:`encode` wrote; raises ValueError on anything else."""
        if len(data) < 13 or data[:4] != MAGIC:
            raise ValueError("not an encoded fingerprint set")
        count = int.from_bytes(data[4:8], "big")
        bits = data[8]
        entries = int.from_bytes(data[9:13], "big")
        if not 1 <= bits <= 56 or entries > count:
            raise ValueError("not a valid fingerprint set header")
        body = data[13:]
        bitstring = format(int.from_bytes(body, "big"), f"0{len(body) * 8}b") if body else ""
        values: list[int] = []
        previous = 0
        pos = 0
        end = len(bitstring)
        while len(values) < entries:
            zero = bitstring.find("0", pos)
            if zero < 0 or zero + 1 + bits > end:
                raise ValueError("truncated fingerprint set")
            quotient = zero - pos
            remainder = int(bitstring[zero + 1 : zero + 1 + bits], 2)
            previous += (quotient << bits) | remainder
            values.append(previous)
            pos = zero + 1 + bits
        return cls(values, count, bits)
