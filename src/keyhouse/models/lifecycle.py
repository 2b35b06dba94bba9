"""What a key's life leaves behind: retired secrets, daily usage, sent notifications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from keyhouse.models.base import Base, IdType, UTCDateTime


class RetiredSecret(Base):
    """A secret replaced by a roll: it works until `valid_until`, then answers
    `api_key_rolled` (not `api_key_invalid`) for as long as the key exists."""

    __tablename__ = "api_key_retired_secrets"

    secret_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(
        IdType, ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyUsage(Base):
    """Requests per key per UTC day, flushed from each worker's in-memory counters."""

    __tablename__ = "api_key_usage"
    __table_args__ = (PrimaryKeyConstraint("key_id", "day"),)

    key_id: Mapped[str] = mapped_column(IdType, ForeignKey("api_keys.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)


class KeyNotification(Base):
    """A time-based event already emitted for a key; the primary key makes it once only,
    however many workers sweep at the same time."""

    __tablename__ = "api_key_notifications"
    __table_args__ = (PrimaryKeyConstraint("key_id", "kind", "marker"),)

    key_id: Mapped[str] = mapped_column(IdType, ForeignKey("api_keys.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # expiring | expired
    # The expiration date it was about: a key given a new date can be warned again.
    marker: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
