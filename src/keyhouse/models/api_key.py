from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from keyhouse.models.base import Base, IdType, UTCDateTime

KEY_ROLES = ("editor", "viewer")


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("organization_id", "title_key"),
        ForeignKeyConstraint(
            ["organization_id", "id"],
            ["principals.organization_id", "principals.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("role IN ('editor', 'viewer')", name="role"),
        # Lists at scale: one index per sortable column, (organization_id, column, id,
        # title_key), so a page's ids are read in order and the title filter is checked on
        # the index entry (migration 0002; docs/performance.md).
        Index("ix_api_keys_org_created", "organization_id", "created_at", "id", "title_key"),
        Index(
            "ix_api_keys_org_expiration", "organization_id", "expiration_date", "id", "title_key"
        ),
        Index("ix_api_keys_org_title", "organization_id", "title_key", "id"),
        Index(
            "ix_api_keys_org_id",
            "organization_id",
            "id",
            "expiration_date",
            "last_used_at",
            "title_key",
        ),
        Index("ix_api_keys_org_creator", "organization_id", "created_by_name", "id", "title_key"),
        Index("ix_api_keys_org_role", "organization_id", "role", "id", "title_key"),
        Index("ix_api_keys_org_last_used", "organization_id", "last_used_at", "id", "title_key"),
        Index("ix_api_keys_org_email", "organization_id", "email", "id", "title_key"),
        # PostgreSQL: vacuumed after 1,000 changed rows (last-use stamps), so the lists'
        # index-only scans find their pages all-visible again soon (migration 0005).
        {
            "postgresql_with": {
                "autovacuum_vacuum_scale_factor": "0",
                "autovacuum_vacuum_threshold": "1000",
            }
        },
    )

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[str] = mapped_column(IdType)
    title: Mapped[str] = mapped_column(String(100))
    # Lower-cased title: uniqueness "ignoring case" enforced by the database itself.
    title_key: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # The creator is remembered by value: the key outlives the creator's membership.
    created_by_id: Mapped[str | None] = mapped_column(IdType, nullable=True)
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_by_email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expiration_date: Mapped[date] = mapped_column(Date)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
