from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from keyhouse.models.base import Base, IdType, UTCDateTime, new_id

MEMBER_ROLES = ("administrator", "editor", "viewer")
PRINCIPAL_KINDS = ("member", "apiKey")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(IdType, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Keys expiring within this many days have the status `expiring`.
    expiry_warning_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    # A new random number in the same transaction as every change to the organization's
    # keys that a key list can count (insert, delete, update of any column but the last-use
    # ones): database triggers set it (migration 0004), so no writer can forget. A list's
    # run sizes are remembered in a worker's memory under the number read in the list's own
    # transaction (api_keys/service.py, docs/performance.md section 3).
    keys_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(IdType, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Principal(Base):
    """Whoever can hold a permission: a member or an API key (same id as that row).

    Permission entries point here, so the database refuses an entry for a principal that
    does not exist, and one that crosses organizations.
    """

    __tablename__ = "principals"
    __table_args__ = (
        UniqueConstraint("organization_id", "id"),
        CheckConstraint("kind IN ('member', 'apiKey')", name="kind"),
    )

    id: Mapped[str] = mapped_column(IdType, primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        ForeignKeyConstraint(
            ["organization_id", "id"],
            ["principals.organization_id", "principals.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("role IN ('administrator', 'editor', 'viewer')", name="role"),
    )

    id: Mapped[str] = mapped_column(IdType, primary_key=True)
    organization_id: Mapped[str] = mapped_column(IdType, index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
