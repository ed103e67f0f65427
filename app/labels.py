"""Words users see for the codes the database stores."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .workflow import BY_HAND_REASONS, DISPUTE_REASONS, REASONS, RESOLUTIONS, SYSTEM_REASONS


def N_(message: str) -> str:  # noqa: N802 (Babel's keyword for a message marked, translated later)
    """A message to translate where it is shown (``_(ORDER_STATES[state])``), marked for the catalog here."""
    return message


# The states' words are looked up where they are shown: a badge in every row of every list.

ORDER_STATES = {
    "submitted": N_("Awaiting dispatch"),
    "dispatched": N_("Awaiting acceptance"),
    "accepted": N_("Awaiting service"),
    "in_service": N_("In service"),
    "completed": N_("Awaiting rating"),
    "rated": N_("Rated"),
    "confirmed": N_("Confirmed"),
    "disputed": N_("Disputed"),
    "resolved": N_("Dispute decided"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
}
# One colour per state, the same everywhere (Bootstrap text-bg-*). A word the
# user reads means one colour: 待接单 is the order "dispatched" and the slot
# "offered"; yellow asks the center to act, cyan a volunteer, blue means the
# service is on, green done, grey closed, red refused.
STATE_COLOURS = {
    "submitted": "warning",
    "dispatched": "info",
    "accepted": "primary",
    "in_service": "primary",
    "completed": "success",
    "rated": "success",
    "confirmed": "success",
    "disputed": "warning",
    "resolved": "secondary",
    "rejected": "danger",
    "cancelled": "secondary",
    "offered": "info",
    "declined": "secondary",
    "expired": "secondary",
    "withdrawn": "secondary",
    "checked_in": "primary",
}
ASSIGNMENT_STATES = {
    "offered": N_("Offered"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "expired": N_("Expired"),
    "withdrawn": N_("Withdrawn"),
    "checked_in": N_("Checked in"),
    "completed": N_("Completed"),
}
ACTIONS = {
    "submit": _l("Order placed"),
    "dispatch": _l("Dispatched"),
    "reject": _l("Rejected"),
    "cancel": _l("Cancelled"),
    "fill": _l("All places filled"),
    "reopen": _l("A place opened again"),
    "start": _l("Service started"),
    "finish": _l("Service completed"),
    "rate": _l("Rated"),
    "confirm": _l("Confirmed automatically: nobody rated it in time"),
    "dispute": _l("A problem was reported; the hours are held"),
    "resolve": _l("The center decided the dispute"),
    "offer": _l("Offered to a volunteer"),
    "accept": _l("Volunteer accepted"),
    "claim": _l("Volunteer claimed a place"),
    "release": _l("Volunteer gave the place back"),
    "open_claims": _l("Open for volunteers to claim"),
    "decline": _l("Volunteer declined"),
    "expire": _l("Offer expired"),
    "withdraw": _l("Volunteer withdrawn"),
    "check_in": _l("Volunteer checked in"),
    "check_in_by_hand": _l("Checked in by the center"),
    "complete": _l("Volunteer finished"),
}
NOTIFICATIONS = {
    "submit": _l("New order %(number)s is waiting for dispatch"),
    "dispatch": _l("Your order %(number)s was dispatched to volunteers"),
    "offer": _l("New job offered to you: %(number)s"),
    "offer_closed": _l("Order %(number)s was filled by others"),
    "fill": _l("Volunteers accepted your order %(number)s"),
    "reject": _l("Your order %(number)s was rejected"),
    "cancel": _l("Order %(number)s was cancelled"),
    "accept": _l("A volunteer accepted order %(number)s"),
    "claim": _l("A volunteer claimed a place on order %(number)s"),
    "release": _l("A volunteer gave back a place on order %(number)s"),
    "open_claims": _l("Your order %(number)s is open for volunteers to claim"),
    "reminder_24h": _l("Reminder: order %(number)s takes place within a day"),
    "reminder_2h": _l("Reminder: order %(number)s starts within two hours"),
    "wish_submitted": _l("A requester made a wish (心愿)"),
    "wish_rejected": _l("The center answered your wish"),
    "wish_converted": _l("Your wish became order %(number)s"),
    "wish_asked": _l("The center has a question about your wish"),
    "wish_answered": _l("A requester answered the center's question about their wish"),
    "unconfirmed": _l("A volunteer of order %(number)s has not confirmed they will come"),
    "not_checked_in": _l("A volunteer of order %(number)s has not checked in"),
    "sla_breach": _l("Order %(number)s ran past its time limit (时限)"),
    "sla_escalation": _l("Order %(number)s ran past twice its time limit (时限)"),
    "reopen": _l("A place on order %(number)s is open again"),
    "check_in": _l("Your volunteer checked in for order %(number)s"),
    "check_in_by_hand": _l("The center checked a volunteer in for order %(number)s"),
    "complete": _l("A volunteer finished their part of order %(number)s"),
    "decline": _l("A volunteer declined order %(number)s"),
    "expire": _l("An offer on order %(number)s expired"),
    "withdraw": _l("You were withdrawn from order %(number)s"),
    "start": _l("Service for your order %(number)s has started"),
    "finish": _l("Order %(number)s is complete: please rate it"),
    "rate": _l("Order %(number)s was rated"),
    "confirm": _l("Order %(number)s was confirmed: your hours count"),
    "star_reached": _l("With order %(number)s you reached a new star level"),
    "dispute": _l("A problem was reported on order %(number)s"),
    "resolve": _l("The dispute on order %(number)s was decided"),
}
ALL_REASONS = {**REASONS, **DISPUTE_REASONS, **RESOLUTIONS, **BY_HAND_REASONS, **SYSTEM_REASONS}
HOUR_SOURCES = {
    "service": _l("Service (check-in to check-out)"),
    "hold": _l("Held during a dispute"),
    "adjustment": _l("Decided by the center"),
    "correction": _l("Correction (补录)"),
}
ROLES = {
    "requester": _l("Requester"),
    "volunteer": _l("Volunteer"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}
# The settings of ``services.settings``, as the settings page and the audit log name them.
SETTINGS = {
    "dispatch_deadline_hours": _l("Time limit to dispatch (working hours)"),
    "offer_deadline_hours": _l("Offer answer deadline (hours)"),
    "accept_target_hours": _l("Time limit to fill the crew (working hours)"),
    "work_days": _l("Working weekdays"),
    "work_hours": _l("Working hours"),
    "holidays": _l("Public holidays (no clock runs)"),
    "auto_confirm_days": _l("Auto-confirm after (days)"),
    "check_in_opens_minutes": _l("Check-in opens before the start (minutes)"),
    "hours_tolerance_minutes": _l("Hours may run past the window by (minutes)"),
    "claim_limit": _l("Places one volunteer may hold from the claim board"),
    "center_name": _l("Center name"),
    "issuer_head": _l("Person in charge"),
    "issuer_handler": _l("Handled by"),
    "issuer_phone": _l("Contact phone"),
    "requester_approval": _l("New requesters need approval"),
    "volunteer_changes_need_approval": _l("Volunteers' changes to services or districts need approval"),
}
AUDIT_ACTIONS = {
    "setting.change": _l("Setting changed"),
    "user.roles": _l("Roles changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.password_reset": _l("Password reset"),
    "service.create": _l("Service added"),
    "service.edit": _l("Service changed"),
    "service.published": _l("Service published"),
    "service.retired": _l("Service retired"),
    "service.move": _l("Service moved"),
    "category.create": _l("Category added"),
    "category.edit": _l("Category changed"),
    "category.move": _l("Category moved"),
    "correction.propose": _l("Hours proposed (补录)"),
    "correction.approve": _l("Proposed hours approved"),
    "correction.reject": _l("Proposed hours rejected"),
}
AUDIT_TARGETS = {"setting": _l("Setting"), "user": _l("Account"), "service": _l("Service"),
                 "category": _l("Category"), "correction": _l("Proposed hours")}
CORRECTION_STATUSES = {"proposed": _l("Waiting for approval"), "approved": _l("Approved"),
                       "rejected": _l("Rejected")}
CORRECTION_STATUS_COLOURS = {"proposed": "warning", "approved": "success", "rejected": "secondary"}
WISH_STATUSES = {"submitted": _l("Waiting for the center"), "asked": _l("Asked, waiting for an answer"),
                 "rejected": _l("Not taken up"), "converted": _l("Turned into an order")}
WISH_STATUS_COLOURS = {"submitted": "warning", "asked": "info", "rejected": "secondary", "converted": "success"}
SERVICE_STATUSES = {"draft": _l("Draft"), "published": _l("Published"), "retired": _l("Retired")}
SERVICE_STATUS_COLOURS = {"draft": "secondary", "published": "success", "retired": "dark"}
DISPATCH_MODES = {
    "dispatch": _l("Dispatched by the center"),
    "claim": _l("Open for qualified volunteers to claim"),
}
# The clocks (时限) on an order (services.sla).
CLOCKS = {
    "dispatch": _l("Time limit to dispatch"),
    "acceptance": _l("Time limit to fill the crew"),
    "review": _l("Time limit to answer the wish"),
}
CLOCK_PAST = _l("%(t)s past the time limit")
CLOCK_LEFT = _l("%(t)s left")
# Who may deliver a service's orders (DeliveredBy).
DELIVERED_BY = {
    "listed": _l("Volunteers who list it or its category"),
    "teams": _l("Members of the teams that cover it"),
}
# The page each role's work starts on, as a person holding several chooses where to start (services.accounts).
START_PAGES = {
    "admin": _l("Back office"),
    "coordinator": _l("Dispatch queue"),
    "volunteer": _l("My jobs"),
    "requester": _l("Service menu"),
}
# What the audit log stores as an account's before and after, besides its roles.
ACCOUNT_STATES = {
    "active": _l("Active"),
    "inactive": _l("Deactivated"),
    "password_pending": _l("New password pending"),
}
# The volunteer application (志愿者管理).
ID_TYPES = {
    "resident_id": _l("Resident identity card"),
    "passport": _l("Passport"),
    "hk_macao_permit": _l("Mainland travel permit for Hong Kong and Macao residents"),
    "taiwan_permit": _l("Mainland travel permit for Taiwan residents"),
    "other": _l("Other"),
}
VOLUNTEER_STATES = {
    "pending": _l("Application pending"),
    "rejected": _l("Application rejected"),
    "approved": _l("Approved volunteer"),
    "suspended": _l("Suspended"),
}
VOLUNTEER_STATE_COLOURS = {"pending": "warning", "rejected": "danger", "approved": "success",
                           "suspended": "secondary"}
VOLUNTEER_REJECT_REASONS = {
    "incomplete": _l("The application is incomplete"),
    "identity": _l("The identity could not be confirmed"),
    "no_need": _l("No need for these services now"),
    "outside_area": _l("Outside the districts the center serves"),
    "other": _l("Other reason"),
}
VOLUNTEER_SUSPEND_REASONS = {
    "conduct": _l("Conduct complaint"),
    "no_shows": _l("Repeated no-shows"),
    "own_request": _l("At the volunteer's request"),
    "other": _l("Other reason"),
}
PERIOD_NAMES = {"morning": _l("Morning"), "afternoon": _l("Afternoon"), "evening": _l("Evening")}
WEEKDAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
VOLUNTEER_NOTICES = {
    "volunteer_approved": _l("Your volunteer application was approved"),
    "volunteer_rejected": _l("Your volunteer application was not approved"),
    "volunteer_suspended": _l("Your volunteer service is suspended"),
    "volunteer_resumed": _l("Your volunteer service is resumed"),
    "volunteer_pending": _l("Your volunteer profile changes wait for approval"),
}
AUDIT_ACTIONS.update({
    "volunteer.apply": _l("Volunteer application"),
    "volunteer.approve": _l("Volunteer approved"),
    "volunteer.reject": _l("Volunteer rejected"),
    "volunteer.suspend": _l("Volunteer suspended"),
    "volunteer.resume": _l("Volunteer resumed"),
    "volunteer.profile": _l("Volunteer profile changed"),
    "volunteer.view_id": _l("Identity number viewed"),
})
AUDIT_TARGETS["volunteer"] = _l("Volunteer")
AUDIT_ACTIONS.update({
    "export.orders": _l("Orders exported"),
    "export.services": _l("Menu analysis exported"),
    "export.reasons": _l("Reasons exported"),
    "export.hours": _l("Volunteer hours exported"),
})
AUDIT_TARGETS["export"] = _l("Export")
