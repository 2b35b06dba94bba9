"""Rules for human-entered names and titles."""

from __future__ import annotations

import unicodedata

# Characters that reorder or hide text: a title must read the same everywhere it is shown.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def check_name(value: str, *, max_length: int) -> str:
    """Trimmed; 1..max_length characters; no control or bidi-override characters."""
    trimmed = value.strip()
    if not trimmed:
        raise ValueError("must not be empty")
    if len(trimmed) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    for ch in trimmed:
        if ch in BIDI_CONTROLS:
            raise ValueError(f"must not contain the bidirectional control U+{ord(ch):04X}")
        if unicodedata.category(ch) == "Cc":
            raise ValueError(f"must not contain the control character U+{ord(ch):04X}")
    return trimmed
