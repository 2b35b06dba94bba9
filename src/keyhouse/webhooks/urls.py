"""Which URLs a webhook may point at."""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8 and ::1
    except ValueError:
        return False


def check_url(value: str) -> str:
    """`https://` to any host, or `http://` to a loopback address only; no credentials;
    at most 2000 characters. Raises ValueError with the reason."""
    url = value.strip()
    if not url:
        raise ValueError("must not be empty")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise ValueError("is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ValueError("must start with https:// (or http:// for a loopback address)")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    host = parts.hostname or ""
    if not host:
        raise ValueError("must name a host")
    if port == 0:
        raise ValueError("is not a valid URL")
    if scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            "must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 or localhost)"
        )
    return url
