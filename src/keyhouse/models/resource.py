from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from keyhouse.models.base import Base, IdType, UTCDateTime, new_id

RESOURCE_KINDS = ("datasources", "projects", "layers", "tables")
DEPENDENT_KINDS = ("layers", "tables")

VIEW, MODIFY, OWNER = 1, 2, 3
PERMISSION_NAMES = {VIEW: "view", MODIFY: "modify", OWNER: "owner"}
PERMISSION_LEVELS = {name: level for level, name in PERMISSION_NAMES.items()}


class Resource(Base):
    """All four kinds in one table: one set-based statement can move or delete any mix."""

    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("organization_id", "id"),
        CheckConstraint("kind IN ('datasources', 'projects', 'layers', 'tables')", name="kind"),
        CheckConstraint(
            "(kind IN ('layers', 'tables')) = "
            "(project_id IS NOT NULL AND data_source_id IS NOT NULL)",
            name="dependencies",
        ),
        # Deleting a project or a data source deletes what depends on it, in the database.
        ForeignKeyConstraint(
            ["organization_id", "project_id"],
            ["resources.organization_id", "resources.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["organization_id", "data_source_id"],
            ["resources.organization_id", "resources.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("ix_resources_org_kind_created", "organization_id", "kind", "created_at", "id"),
        # With organization_id: they serve the composite foreign keys' cascades too
        # (migration 0002; docs/performance.md).
        Index("ix_resources_project_id", "project_id", "organization_id"),
        Index("ix_resources_data_source_id", "data_source_id", "organization_id"),
    )

    id: Mapped[str] = mapped_column(IdType, primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(IdType)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    project_id: Mapped[str | None] = mapped_column(IdType, nullable=True)
    data_source_id: Mapped[str | None] = mapped_column(IdType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Permission(Base):
    __tablename__ = "permissions"
    __table_args__ = (
        PrimaryKeyConstraint("resource_id", "principal_id"),
        ForeignKeyConstraint(
            ["organization_id", "resource_id"],
            ["resources.organization_id", "resources.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["organization_id", "principal_id"],
            ["principals.organization_id", "principals.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("level IN (1, 2, 3)", name="level"),
        Index("ix_permissions_principal_level", "principal_id", "level", "resource_id"),
    )

    organization_id: Mapped[str] = mapped_column(IdType)
    resource_id: Mapped[str] = mapped_column(IdType)
    principal_id: Mapped[str] = mapped_column(IdType)
    level: Mapped[int] = mapped_column(SmallInteger)
