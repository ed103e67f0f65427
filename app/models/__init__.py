"""All models, imported here so migrations see every table."""

from .admin import AuditEntry, Setting
from .exports import ExportJob, ExportState
from .hours import HourEntry, HourSource
from .menu import Category, Service, ServiceStatus
from .notifications import Notification
from .orders import Assignment, Order, OrderEvent, Rating
from .outbox import OutboxMessage, OutboxStatus
from .places import District
from .users import Role, User, UserRole, VolunteerAway, VolunteerProfile

__all__ = [
    "Assignment",
    "AuditEntry",
    "Category",
    "District",
    "ExportJob",
    "ExportState",
    "HourEntry",
    "HourSource",
    "Notification",
    "Order",
    "OrderEvent",
    "OutboxMessage",
    "OutboxStatus",
    "Rating",
    "Role",
    "Service",
    "ServiceStatus",
    "Setting",
    "User",
    "UserRole",
    "VolunteerAway",
    "VolunteerProfile",
]
