"""All models, imported here so migrations see every table."""

from .admin import AuditEntry, Setting
from .certificates import ServiceCertificate
from .corrections import CorrectionStatus, HourCorrection
from .daily_figures import DailyFigure, DailyFiguresRebuilt
from .exports import ExportJob, ExportState
from .feedback import AttendeeFeedback
from .hours import HourEntry, HourSource
from .menu import Category, Service, ServiceStatus, service_districts
from .notifications import Notification
from .orders import Assignment, Order, OrderEvent, Rating
from .outbox import OutboxMessage, OutboxStatus
from .photos import CompletionPhoto
from .places import District
from .reviews import VolunteerReview
from .sla import SlaEvent
from .teams import Team, team_members, team_services
from .users import Role, User, UserRole, VolunteerAway, VolunteerProfile
from .wishes import Wish, WishStatus

__all__ = [
    "Assignment",
    "AttendeeFeedback",
    "AuditEntry",
    "Category",
    "CompletionPhoto",
    "CorrectionStatus",
    "DailyFigure",
    "DailyFiguresRebuilt",
    "District",
    "ExportJob",
    "ExportState",
    "HourCorrection",
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
    "ServiceCertificate",
    "ServiceStatus",
    "Setting",
    "SlaEvent",
    "Team",
    "User",
    "UserRole",
    "VolunteerAway",
    "VolunteerProfile",
    "VolunteerReview",
    "Wish",
    "WishStatus",
    "team_members",
    "service_districts",
    "team_services",
]
