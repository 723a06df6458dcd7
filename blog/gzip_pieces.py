"""A gzip answer put together from pieces compressed apart.

A cached page is the same for everyone except a few values made for each
visitor (a CSRF token, a form stamp). The page's stretches between those
values are deflated once, each ending on a byte boundary (a full flush), so
they can be joined with other blocks; a visitor's values go in as "stored"
(uncompressed) blocks, so they never share a compression window with the
page's text (no BREACH). The CRC-32 of the whole is combined from the pieces'
CRCs, as zlib's crc32_combine does, without reading the stored stretches again.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

# gzip member header: magic, deflate, no flags, no time, no extra flags, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman): ends the stream


_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (bit-reflected)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if (a & (m - 1)) == 0:
                break
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return p


def _x2n_table() -> list[int]:
    p, table = 1 << 30, []
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _x2n_table()


def crc_shift(length: int) -> int:
    """The operator that moves a CRC past ``length`` bytes: x^(8 * length) mod P."""
    p, k = 1 << 31, 3
    while length:
        if length & 1:
            p = _multmodp(_X2N[k & 31], p)
        length >>= 1
        k += 1
    return p


def crc_combine(crc1: int, crc2: int, shift2: int) -> int:
    """CRC-32 of A + B from crc(A), crc(B) and ``crc_shift(len(B))``."""
    return _multmodp(shift2, crc1) ^ crc2


def shift_table(shift: int) -> list[list[int]]:
    """``_multmodp(shift, crc)`` for each byte of ``crc`` in each of its four places:
    the product is linear in ``crc``, so four lookups and three XORs give it."""
    return [[_multmodp(shift, b << (8 * place)) for b in range(256)] for place in range(4)]


def _shifted(table: list[list[int]], crc: int) -> int:
    return (
        table[0][crc & 0xFF]
        ^ table[1][(crc >> 8) & 0xFF]
        ^ table[2][(crc >> 16) & 0xFF]
        ^ table[3][crc >> 24]
    )


# --- pieces


@dataclass
class Piece:
    """A stored stretch of the page (``spec`` None) or a value made per visitor."""

    raw: bytes = b""
    deflated: bytes = b""
    crc: int = 0
    shift: list[list[int]] | None = None  # moves a CRC past ``raw`` (see shift_table)
    spec: str | None = None


def _deflate(data: bytes) -> bytes:
    """Raw deflate blocks ending on a byte boundary, not final: joinable with others."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15, 9)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)


def static_piece(text: str) -> Piece:
    """A stretch of the stored page: encoded, deflated and its CRC taken, once."""
    raw = text.encode()
    shift = shift_table(crc_shift(len(raw)))
    return Piece(raw=raw, deflated=_deflate(raw), crc=zlib.crc32(raw), shift=shift)


def plain(pieces: list[Piece], values: dict[str, bytes]) -> bytes:
    """The page without compression, with this visitor's values."""
    return b"".join(p.raw if p.spec is None else values[p.spec] for p in pieces)


def _stored_block(data: bytes) -> bytes:
    """``data`` as deflate "stored" blocks (not final): no compression, no shared window.

    Every piece before it ends on a byte boundary (a full flush), where a stored
    block's header (three zero bits, padded to the byte) may start.
    """
    out = []
    for at in range(0, len(data), 65535):
        chunk = data[at : at + 65535]
        out.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(out)


def gzipped(pieces: list[Piece], values: dict[str, bytes]) -> bytes:
    """One gzip member: stored pieces deflated once, this visitor's values as they are."""
    parts, crc, size = [_GZIP_HEADER], 0, 0
    for p in pieces:
        if p.spec is None:
            parts.append(p.deflated)
            crc = _shifted(p.shift, crc) ^ p.crc
            size += len(p.raw)
        else:
            raw = values[p.spec]
            parts.append(_stored_block(raw))
            crc = zlib.crc32(raw, crc)
            size += len(raw)
    parts.append(_FINAL_BLOCK)
    parts.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(parts)
