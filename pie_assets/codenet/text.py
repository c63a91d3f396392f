"""Decoding bytes of unknown encoding without ever losing them.

CodeNet sources and test files are mostly UTF-8, some Shift-JIS (Japanese comments), a few
anything. We keep text plus the encoding that round-trips to the exact original bytes, so
`text.encode(encoding)` always gives back what was on disk (and what `sha256` hashed).
"""

from __future__ import annotations

import hashlib

FALLBACK_ENCODINGS = ("utf-8", "cp932")


def decode_exact(data: bytes) -> tuple[str, str]:
    """(text, encoding) such that text.encode(encoding) == data; latin-1 always round-trips."""
    for encoding in FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text.encode(encoding) == data:
            return text, encoding
    return data.decode("latin-1"), "latin-1"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
