"""Orders, by area: ``ordering`` (the requester places and rates), ``dispatch``
(the center offers an order to volunteers and keeps its crew), ``queue`` (the
orders that need a hand), ``jobs`` (a volunteer's assignments) and
``events`` (an order's timeline).

Every state change is one ``workflow.apply`` call; these functions add the
rules around it (minimum notice, who is eligible) and never commit, except
``place_order_once`` (see there). Reads are scoped to who asks.
"""

from .dispatch import (
    MAX_CREW,
    BulkResult,
    Crew,
    bulk_apply,
    change_needed,
    crew_of,
    dispatch_order,
    dispatch_to_top,
    may_change_crew,
    order_for_coordinator,
    orders_for_coordinator,
    reject_order,
)
from .events import timeline
from .jobs import (
    DONE_SHOWN,
    JOB_GROUPS,
    JOBS_SHOWN,
    VolunteerJobs,
    assignment_for_volunteer,
    credited_hours,
    jobs_of_volunteer,
    volunteer_job_on,
)
from .ordering import (
    MY_ORDERS_PAGE,
    OrderRequest,
    beijing_to_utc,
    districts_offered,
    earliest_service_date,
    find_by_form_token,
    order_for_requester,
    orders_of_requester,
    place_order,
    place_order_once,
    rate_order,
    recent_duplicate,
    rule_errors,
)
from .queue import QueueFilter, QueuePage, dispatch_queue

__all__ = [
    "DONE_SHOWN", "JOBS_SHOWN", "JOB_GROUPS", "MAX_CREW", "MY_ORDERS_PAGE",
    "BulkResult", "Crew", "OrderRequest", "QueueFilter", "QueuePage", "VolunteerJobs",
    "assignment_for_volunteer", "beijing_to_utc", "bulk_apply", "change_needed", "credited_hours", "crew_of",
    "dispatch_order", "dispatch_to_top", "dispatch_queue", "districts_offered", "earliest_service_date",
    "find_by_form_token",
    "jobs_of_volunteer", "may_change_crew", "order_for_coordinator",
    "order_for_requester", "orders_for_coordinator", "orders_of_requester",
    "place_order", "place_order_once", "rate_order", "recent_duplicate", "rule_errors", "reject_order", "timeline",
    "volunteer_job_on",
]
