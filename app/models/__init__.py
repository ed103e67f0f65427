"""All models, imported here so migrations see every table."""

from .menu import Category, Service, ServiceStatus
from .notifications import Notification
from .orders import Assignment, Order, OrderEvent, Rating
from .places import District
from .users import Role, User, UserRole, VolunteerProfile

__all__ = [
    "Assignment",
    "Category",
    "District",
    "Notification",
    "Order",
    "OrderEvent",
    "Rating",
    "Role",
    "Service",
    "ServiceStatus",
    "User",
    "UserRole",
    "VolunteerProfile",
]
