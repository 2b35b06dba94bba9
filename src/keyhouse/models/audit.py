from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from keyhouse.models.base import Base, IdType, UTCDateTime, new_id


class AuditEvent(Base):
    """What happened, by whom, when. Actor fields are copies: they outlive the actor."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_time", "organization_id", "occurred_at", "id"),)

    id: Mapped[str] = mapped_column(IdType, primary_key=True, default=new_id)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str | None] = mapped_column(IdType, nullable=True)
    actor_type: Mapped[str] = mapped_column(String(20))  # member | apiKey | user | system
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[str | None] = mapped_column(IdType, nullable=True)
    target_name: Mapped[str] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
