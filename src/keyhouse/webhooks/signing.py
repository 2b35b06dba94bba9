"""Webhook secrets and signatures.

`Keyhouse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
receiver recomputes the HMAC over the raw body it received and refuses old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
_ALPHABET = string.ascii_letters + string.digits  # base62
SECRET_LENGTH = 32
TOLERANCE_SECONDS = 300


def generate_secret() -> str:
    """`whsec_` + 32 base62 characters from the OS CSPRNG (about 190 bits)."""
    return SECRET_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))


def signature(secret: str, timestamp: int, body: str) -> str:
    message = f"{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: str) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: str, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """What a receiver does (the README shows the same code): a v1 signature over the
    timestamp and the raw body, and a timestamp within `tolerance` seconds of now."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for v in fields.get("v1", []))
