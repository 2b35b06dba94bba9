"""API-key secrets: generate, check shape and checksum, digest. Pure: no I/O.

Format: ``kh_`` + 32 base62 characters from the OS CSPRNG + 6 base62 characters encoding
the CRC32 of everything before them. 41 characters in all. The checksum lets us refuse
typos and garbage without touching the database; the SHA-256 digest is what is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

PREFIX = "kh_"
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6
SECRET_LENGTH = len(PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH  # 41
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHAPE = re.compile(r"kh_[0-9A-Za-z]{38}")


def encode_base62(value: int, width: int) -> str:
    """`value` in base62, left-padded with '0' to `width` characters."""
    if value < 0:
        raise ValueError("negative value")
    digits = []
    while value:
        value, rem = divmod(value, 62)
        digits.append(ALPHABET[rem])
    text = "".join(reversed(digits)) or "0"
    if len(text) > width:
        raise ValueError("value does not fit")
    return text.rjust(width, "0")


def checksum(head: str) -> str:
    return encode_base62(zlib.crc32(head.encode("ascii")), CHECKSUM_LENGTH)


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    head = PREFIX + body
    return head + checksum(head)


def is_well_formed(candidate: str) -> bool:
    """Shape and checksum. Cheap, constant work; safe to run on hostile input."""
    if len(candidate) != SECRET_LENGTH or not _SHAPE.fullmatch(candidate):
        return False
    head = candidate[: SECRET_LENGTH - CHECKSUM_LENGTH]
    return secrets.compare_digest(checksum(head), candidate[-CHECKSUM_LENGTH:])


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def looks_like_key(value: str) -> bool:
    """Whether a string is probably a key someone pasted (used to refuse keys in URLs)."""
    return value.startswith(PREFIX) and len(value) >= 20
