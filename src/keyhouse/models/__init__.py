"""ORM tables. Importing this package registers every table on Base.metadata."""

from keyhouse.models.api_key import KEY_ROLES, ApiKey
from keyhouse.models.audit import AuditEvent
from keyhouse.models.base import Base, new_id
from keyhouse.models.lifecycle import KeyNotification, KeyUsage, RetiredSecret
from keyhouse.models.organization import MEMBER_ROLES, Member, Organization, Principal, User
from keyhouse.models.resource import (
    DEPENDENT_KINDS,
    MODIFY,
    OWNER,
    PERMISSION_LEVELS,
    PERMISSION_NAMES,
    RESOURCE_KINDS,
    VIEW,
    Permission,
    Resource,
)
from keyhouse.models.session import WebSession
from keyhouse.models.webhook import Webhook, WebhookDelivery

__all__ = [
    "DEPENDENT_KINDS",
    "KEY_ROLES",
    "MEMBER_ROLES",
    "MODIFY",
    "OWNER",
    "PERMISSION_LEVELS",
    "PERMISSION_NAMES",
    "RESOURCE_KINDS",
    "VIEW",
    "ApiKey",
    "AuditEvent",
    "Base",
    "KeyNotification",
    "KeyUsage",
    "Member",
    "Organization",
    "Permission",
    "Principal",
    "Resource",
    "RetiredSecret",
    "User",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "new_id",
]
