"""A key's status from its expiration date: the one definition, in Python and in SQL.

- `expired`:  today (UTC) is after the expiration date (the key is refused).
- `expiring`: not expired, and the expiration date is at most `warning_days` days after
  today: `0 <= expirationDate - today <= warningDays`. With 14 on June 1st, keys expiring
  June 1st through June 15th are expiring; one expiring June 16th is active. That is the
  window the expiry sweep announces with `api_key.expiring` (webhooks/sweep.py), so the
  status turns `expiring` on the day the event is sent.
- `active`:   everything else.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_

from keyhouse.auth.api_key_auth import is_expired

STATUSES = ("active", "expiring", "expired")  # also their sort order
DEFAULT_WARNING_DAYS = 14


def key_status(expiration_date: date, today: date, warning_days: int) -> str:
    if is_expired(expiration_date, today):
        return "expired"
    if (expiration_date - today).days <= warning_days:
        return "expiring"
    return "active"


def conditions(column: Any, today: date, warning_days: int) -> dict[str, ColumnElement[bool]]:
    """Each status as a condition on the expiration date `column` (one index range each).

    `active` is `column >= today AND column > last`, written as the one bound that decides
    it (the later of the two), so an index range is all the database evaluates per entry.
    """
    last = today + timedelta(days=warning_days)  # the last expiring expiration date
    return {
        "active": column > max(last, today - timedelta(days=1)),
        "expiring": and_(column >= today, column <= last),
        "expired": column < today,
    }
