"""Who may do what: every (endpoint, method) of the app -> expected answer per role.

Data, not code. The probes in ``test_access_matrix.py`` build each URL from
the world fixture: ``order_id`` is always an order of requester A (one per
state), ``assignment_id`` a slot of the volunteer who was offered the order,
``service_id`` a published service, ``user_id`` an account kept for the
back office's probes (``World.account_id``), ``profile_id`` a pending volunteer
application (``World.profile_id``). Expected answers:

- an HTTP status (200, 403, 404): exactly that;
- ``LOGIN``: a redirect to the login page (anonymous, deactivated);
- ``REDIRECT``: a redirect somewhere else on the site;
- ``OK``: the action is the role's to take: 200, a redirect that is not to
  the login page, 409 (the state forbids it now) or 422 (the form is
  incomplete); never 400, 403, 404 or a 5xx.

Another requester's order and another volunteer's slot answer 404, the same
as an id that does not exist; a role that never may answers 403.
"""

from __future__ import annotations

LOGIN, REDIRECT, OK = "login", "redirect", "ok"

ROLES = (
    "anonymous",
    "requester_a",  # owns every order of the world
    "requester_b",
    "volunteer_offered",  # holds the slots of the world's orders
    "volunteer_not_offered",
    "volunteer_declined",  # declined an offer on the dispatched order
    "coordinator",
    "admin",  # the admin role alone
    "deactivated",  # logged in, then deactivated: treated as anonymous
)

_SIGNED_OUT = {"anonymous": LOGIN, "deactivated": LOGIN}


def _everyone(value) -> dict[str, object]:
    return {role: value for role in ROLES}


def _signed_in(value) -> dict[str, object]:
    return {**_everyone(value), **_SIGNED_OUT}


def _only(allowed: dict[str, object]) -> dict[str, object]:
    """Signed-out roles go to login, the named roles get their answer, every other role 403."""
    return {**_everyone(403), **_SIGNED_OUT, **allowed}


def _requester_object(owner_answer) -> dict[str, object]:
    return _only({"requester_a": owner_answer, "requester_b": 404})


def _volunteer_object(owner_answer) -> dict[str, object]:
    return _only({
        "volunteer_offered": owner_answer,
        "volunteer_not_offered": 404,
        "volunteer_declined": 404,
    })


COORDINATOR_ONLY = _only({"coordinator": OK})
ADMIN_PAGE = _only({"admin": 200})
ADMIN_ONLY = _only({"admin": OK})
COORDINATOR_PAGE = _only({"coordinator": 200})
REQUESTERS = {"requester_a": 200, "requester_b": 200}
VOLUNTEERS = {"volunteer_offered": 200, "volunteer_not_offered": 200, "volunteer_declined": 200}

MATRIX: dict[tuple[str, str], dict[str, object]] = {
    # the menu is public
    ("menu.home", "GET"): _everyone(200),
    ("menu.service", "GET"): _everyone(200),
    ("menu.web_manifest", "GET"): _everyone(200),
    ("menu.favicon", "GET"): _everyone(200),
    # signing in and out
    ("auth.login", "GET"): {**_everyone(REDIRECT), "anonymous": 200, "deactivated": 200},
    ("auth.login", "POST"): {**_everyone(REDIRECT), "anonymous": 200, "deactivated": 200},
    ("auth.register", "GET"): _everyone(200),
    ("auth.register", "POST"): _everyone(200),
    ("auth.logout", "POST"): _signed_in(LOGIN),  # signed in: logged out, then sent to login
    ("auth.language", "POST"): _everyone(REDIRECT),
    ("auth.account", "GET"): _signed_in(200),
    ("auth.change_password", "POST"): _signed_in(OK),
    ("auth.messages", "POST"): _signed_in(OK),
    ("auth.start_page", "POST"): _signed_in(OK),
    ("auth.sign_out_everywhere", "POST"): _signed_in(OK),
    ("auth.new_password", "GET"): _signed_in(REDIRECT),  # only after a reset to a temporary password
    ("auth.new_password", "POST"): _signed_in(REDIRECT),
    # notifications: everyone signed in, each their own
    ("notifications.index", "GET"): _signed_in(200),
    ("notifications.mark_read", "POST"): _signed_in(OK),
    # each their own: requester A's notice is nobody else's
    ("notifications.open_notification", "POST"): {**_everyone(404), **_SIGNED_OUT, "requester_a": OK},
    # requester
    ("requester.orders", "GET"): _only(REQUESTERS),
    ("requester.new_order", "GET"): _only(REQUESTERS),
    ("requester.new_order", "POST"): _only({"requester_a": OK, "requester_b": OK}),
    ("requester.order", "GET"): _requester_object(200),
    ("requester.cancel", "POST"): _requester_object(OK),
    ("requester.dispute", "POST"): _requester_object(OK),
    ("requester.rate", "POST"): _requester_object(OK),
    # volunteer
    ("volunteer.jobs", "GET"): _only(VOLUNTEERS),
    ("volunteer.hours", "GET"): _only(VOLUNTEERS),
    ("volunteer.job", "GET"): _volunteer_object(200),
    # the check-in QR of an order: opens the job of the volunteer holding a place on it, no one else's
    ("volunteer.check_in_link", "GET"): _volunteer_object(200),
    ("volunteer.accept", "POST"): _volunteer_object(OK),
    ("volunteer.check_in", "POST"): _volunteer_object(OK),
    ("volunteer.confirm_attendance", "POST"): _volunteer_object(OK),
    ("volunteer.review", "POST"): _volunteer_object(OK),
    ("volunteer.decline", "POST"): _volunteer_object(OK),
    ("volunteer.complete", "POST"): _volunteer_object(OK),
    ("volunteer.release", "POST"): _volunteer_object(OK),
    # the claim board: any volunteer; a claim on an order not open to claims is refused with a message
    ("volunteer.claims", "GET"): _only(VOLUNTEERS),
    ("volunteer.claim", "POST"): _only(dict.fromkeys(VOLUNTEERS, OK)),
    # applying to volunteer: anyone signed in; a volunteer already goes to their profile
    ("volunteer.apply", "GET"): {**_signed_in(200), **dict.fromkeys(VOLUNTEERS, REDIRECT)},
    ("volunteer.apply", "POST"): _signed_in(OK),
    ("volunteer.profile", "GET"): _only(VOLUNTEERS),
    ("volunteer.profile", "POST"): _only(dict.fromkeys(VOLUNTEERS, OK)),
    # coordinator console
    ("coordinator.queue", "GET"): COORDINATOR_PAGE,
    ("coordinator.order", "GET"): COORDINATOR_PAGE,
    ("coordinator.dispatch", "POST"): COORDINATOR_ONLY,
    ("coordinator.dispatch_top", "POST"): COORDINATOR_ONLY,
    ("coordinator.close", "POST"): COORDINATOR_ONLY,
    ("coordinator.resolve", "POST"): COORDINATOR_ONLY,
    ("coordinator.check_in_by_hand", "POST"): COORDINATOR_ONLY,
    ("coordinator.withdraw", "POST"): COORDINATOR_ONLY,
    ("coordinator.bulk", "POST"): COORDINATOR_ONLY,
    ("coordinator.change_needed", "POST"): COORDINATOR_ONLY,
    ("coordinator.history", "GET"): COORDINATOR_PAGE,
    ("coordinator.export_history", "POST"): COORDINATOR_PAGE,
    # the coordinator's own export job (waiting: its file is not there yet)
    ("coordinator.export_job", "GET"): COORDINATOR_PAGE,
    ("coordinator.export_file", "GET"): _only({"coordinator": 404}),
    # the numbers: the desk and the back office
    ("reports.dashboard", "GET"): _only({"coordinator": 200, "admin": 200}),
    ("reports.services", "GET"): _only({"coordinator": 200, "admin": 200}),
    ("reports.monthly", "GET"): _only({"coordinator": 200, "admin": 200}),
    ("reports.monthly_pdf", "GET"): _only({"coordinator": 200, "admin": 200}),
    ("reports.export", "POST"): _only({"coordinator": 200, "admin": 200}),
    # the back office: the admin role alone
    ("admin.home", "GET"): ADMIN_PAGE,
    # 代下单: placed at the desk; followed by the person through the signed link of their text message
    ("coordinator.proxy_order", "GET"): COORDINATOR_PAGE,
    ("coordinator.proxy_order", "POST"): COORDINATOR_ONLY,
    ("guest.order", "GET"): _everyone(200),
    ("guest.rate", "POST"): _everyone(OK),
    # 心愿: made by a requester, answered at the desk
    ("requester.new_wish", "GET"): _only(REQUESTERS),
    ("requester.new_wish", "POST"): _only({"requester_a": OK, "requester_b": OK}),
    ("requester.wishes_page", "GET"): _only(REQUESTERS),
    ("coordinator.wishes_list", "GET"): COORDINATOR_PAGE,
    ("coordinator.wish", "GET"): COORDINATOR_PAGE,
    ("coordinator.convert_wish", "POST"): COORDINATOR_ONLY,
    ("coordinator.reject_wish", "POST"): COORDINATOR_ONLY,
    ("coordinator.take_on_wish", "POST"): COORDINATOR_ONLY,
    ("coordinator.ask_about_wish", "POST"): COORDINATOR_ONLY,
    ("requester.answer_wish", "POST"): _requester_object(OK),
    # 补录: proposed at the desk, decided in the back office
    ("coordinator.corrections_page", "GET"): COORDINATOR_PAGE,
    ("coordinator.corrections_page", "POST"): COORDINATOR_ONLY,
    ("admin.corrections_list", "GET"): ADMIN_PAGE,
    ("admin.decide_correction", "POST"): ADMIN_ONLY,
    # 志愿服务记录证明: issued and revoked in the back office, printed by the admin and its volunteer,
    # verified by anyone holding its link
    ("admin.issue_certificate", "GET"): ADMIN_PAGE,
    ("admin.issue_certificate", "POST"): ADMIN_ONLY,
    ("admin.certificate", "GET"): ADMIN_PAGE,
    ("admin.certificate_pdf", "GET"): ADMIN_PAGE,
    ("admin.revoke_certificate", "POST"): ADMIN_ONLY,
    ("volunteer.certificate", "GET"): _volunteer_object(200),
    ("volunteer.certificate_pdf", "GET"): _volunteer_object(200),
    # 结项 photos: its volunteer, the order's requester and the desk; anyone else signed in finds nothing
    ("photos.photo", "GET"): {**_signed_in(404), "requester_a": 200, "volunteer_offered": 200,
                              "coordinator": 200, "admin": 200},
    ("verify.certificate", "GET"): _everyone(200),
    # 观众评价: public, by a signed link of the order
    ("feedback.give", "GET"): _everyone(200),
    ("feedback.give", "POST"): _everyone(OK),
    # 服务队: the teams and their load
    ("admin.teams_list", "GET"): ADMIN_PAGE,
    ("admin.new_team", "GET"): ADMIN_PAGE,
    ("admin.new_team", "POST"): ADMIN_ONLY,
    ("admin.edit_team", "GET"): ADMIN_PAGE,
    ("admin.edit_team", "POST"): ADMIN_ONLY,
    # 批量导入: the template, the dry run, the import
    ("admin.import_people", "GET"): ADMIN_PAGE,
    ("admin.import_people", "POST"): ADMIN_ONLY,
    ("admin.run_import", "POST"): ADMIN_ONLY,
    ("admin.import_template", "GET"): ADMIN_PAGE,
    # 菜单管理: the menu, its services and categories
    ("admin.menu", "GET"): ADMIN_PAGE,
    ("admin.new_service", "GET"): ADMIN_PAGE,
    ("admin.new_service", "POST"): ADMIN_ONLY,
    ("admin.edit_service", "GET"): ADMIN_PAGE,
    ("admin.edit_service", "POST"): ADMIN_ONLY,
    ("admin.service_status", "POST"): ADMIN_ONLY,
    ("admin.retire_service", "GET"): ADMIN_PAGE,
    ("admin.retire_service", "POST"): ADMIN_ONLY,
    ("admin.move", "POST"): ADMIN_ONLY,
    ("admin.new_category", "GET"): ADMIN_PAGE,
    ("admin.new_category", "POST"): ADMIN_ONLY,
    ("admin.edit_category", "GET"): ADMIN_PAGE,
    ("admin.edit_category", "POST"): ADMIN_ONLY,
    ("admin.settings", "GET"): ADMIN_PAGE,
    ("admin.settings", "POST"): ADMIN_ONLY,
    ("admin.audit", "GET"): ADMIN_PAGE,
    ("admin.users", "GET"): ADMIN_PAGE,
    ("admin.user", "GET"): ADMIN_PAGE,
    ("admin.change_roles", "POST"): ADMIN_ONLY,
    ("admin.deactivate", "POST"): ADMIN_ONLY,
    ("admin.reactivate", "POST"): ADMIN_ONLY,
    ("admin.reset_password", "POST"): ADMIN_ONLY,
    ("admin.volunteers_list", "GET"): ADMIN_PAGE,
    ("admin.volunteer", "GET"): ADMIN_PAGE,
    ("admin.approve_volunteer", "POST"): ADMIN_ONLY,
    ("admin.reject_volunteer", "POST"): ADMIN_ONLY,
    ("admin.suspend_volunteer", "POST"): ADMIN_ONLY,
    ("admin.resume_volunteer", "POST"): ADMIN_ONLY,
    ("admin.reveal_id_number", "POST"): ADMIN_ONLY,
}

# Rules the matrix does not probe: files anyone may fetch.
UNPROBED = {"static"}
