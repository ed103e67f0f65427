"""L2: the mixed-role soak, one simulated person per seeded account.

usage (bench/load.sh does all of this for you):
  locust -f bench/locustfile.py --headless -u 20 -r 5 --run-time 10m --host http://127.0.0.1:PORT

Weights 70 / 20 / 10:
  requesters   browse the menu, open a service, open the order form and post it
               (CSRF token and one-time form token from the page), then 我的订单 and one order;
  volunteers   我的任务, open an offer and accept it when there is one;
  coordinators the dispatch queue, a filtered queue, one order, dispatch it to the top suggestions.

Every simulated user logs in once with its own account from ``flask bench seed``
(bench/benchdata.py: requesters 13900000001 then 137xxxxxxxx, volunteers
13900000002 then 136xxxxxxxx, coordinators 13900000003 then 135xxxxxxxx, all with
the bench password), so no account comes near the per-account login limit.

Production cookies are ``__Host-`` and ``Secure``: a client does not send them
back over plain http, so each user keeps its own cookie jar and sends it as a
``Cookie`` header (as bench/run.py's ``login()`` does).

At the end, the process exits 1 when fail_ratio > 1 % or a p95/p99 misses L1:
read pages p95 <= 200 ms and p99 <= 500 ms, writes p95 <= 300 ms
(LATENCY_CHECK=0 keeps only the fail-ratio check).
"""

from __future__ import annotations

import html
import itertools
import os
import random
import re
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

BENCH_PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-2026")
WRITES = {"order_create", "accept", "dispatch_top"}
SETUP = {"login_page", "login"}  # once per simulated user, at the start: not part of L1's pages
READ_P95_MS, READ_P99_MS, WRITE_P95_MS = 200, 500, 300


def _phones(first: str, prefix: str):
    """The seed's accounts of one role, in order: the bench account, then prefix + 8 digits."""
    yield first
    for i in itertools.count(1):
        yield f"{prefix}{i:08d}"


# One iterator per role: each simulated user takes the next unused account.
ACCOUNTS = {
    "requester": _phones("13900000001", "137"),
    "volunteer": _phones("13900000002", "136"),
    "coordinator": _phones("13900000003", "135"),
}


class FormParser(HTMLParser):
    """Every form's action and fields (inputs, the selected option, textareas) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._options: list[str] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "fields": {}, "options": {}, "max": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            fields[a["name"]] = a.get("value") or ""
            if a.get("max"):
                self.forms[-1]["max"][a["name"]] = a["max"]
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
            fields.setdefault(a["name"], "")
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._options.append(value)
            if "selected" in a:
                fields[self._select] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self.forms:
            self.forms[-1]["options"][self._select] = self._options
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def forms_of(page: str) -> list[dict]:
    parser = FormParser()
    parser.feed(page)
    return parser.forms


def csrf_of(page: str) -> str | None:
    m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page) or re.search(
        r'value="([^"]+)" name="csrf_token"', page)
    return m.group(1) if m else None


class Person(HttpUser):
    """A signed-in person with their own cookie jar (sent as a header: the cookies are Secure)."""

    abstract = True
    role = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.jar: dict[str, str] = {}
        self.phone = next(ACCOUNTS[self.role])
        page = self.get("/login", "login_page")
        token = csrf_of(page or "")
        if not token:
            raise RuntimeError("no CSRF token on the login page")
        self.call("POST", "/login", "login", expect=(302,),
                  data={"csrf_token": token, "phone": self.phone, "password": BENCH_PASSWORD})

    def call(self, method: str, path: str, name: str, expect=(200,), **kw) -> tuple[int, str, str]:
        headers = {"Accept": "text/html"}
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        with self.client.request(method, path, name=name, headers=headers, allow_redirects=False,
                                 catch_response=True, **kw) as response:
            self.client.cookies.clear()  # the jar above is the only one
            for header in response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []:
                key, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                    self.jar.pop(key.strip(), None)
                else:
                    self.jar[key.strip()] = value
            if response.status_code not in expect:
                # a refused form names its invalid fields (aria-describedby="<field>-error")
                fields = sorted(set(re.findall(r'aria-describedby="([\w-]+)-error"', response.text or "")))
                response.failure(f"HTTP {response.status_code}, expected {'/'.join(map(str, expect))}"
                                 + (f"; invalid: {', '.join(fields)}" if fields else ""))
            else:
                response.success()
            return response.status_code, response.text or "", response.headers.get("Location", "")

    def get(self, path: str, name: str) -> str | None:
        status, text, _ = self.call("GET", path, name)
        return text if status == 200 else None


class Requester(Person):
    weight = 70
    role = "requester"

    @task
    def order_a_service(self) -> None:
        menu = self.get("/", "menu")
        services = sorted(set(re.findall(r'href="/services/(\d+)"', menu or "")))
        if not services:
            return
        service = random.choice(services)
        self.get(f"/services/{service}", "service")
        form_page = self.get(f"/my/orders/new/{service}", "order_form")
        if form_page:
            self.place(service, form_page)
        mine = self.get("/my/orders", "my_orders")
        orders = re.findall(r'href="/my/orders/(\d+)"', mine or "")
        if orders:
            self.get(f"/my/orders/{random.choice(orders[:10])}", "order_requester")

    def place(self, service: str, page: str) -> None:
        form = next((f for f in forms_of(page) if f["action"].endswith(f"/my/orders/new/{service}")
                     or "form_token" in f["fields"]), None)
        if form is None:
            return
        data = dict(form["fields"])
        data.setdefault("note", "")
        if not data.get("address"):
            data["address"] = f"荣华中路{random.randint(1, 99)}号"
        if not data.get("audience_size"):
            limit = int(form["max"].get("audience_size", "20"))
            data["audience_size"] = str(random.randint(1, max(1, min(20, limit))))
        if data.get("district_id") in ("", "0", None):
            choices = [o for o in form["options"].get("district_id", []) if o not in ("", "0")]
            data["district_id"] = random.choice(choices) if choices else "17"
        data = {k: html.unescape(v) for k, v in data.items()}
        status, body, location = self.call("POST", f"/my/orders/new/{service}", "order_create", expect=(303,),
                                           data=data)
        if status == 303 and location:
            self.get(location.replace(self.host, "") if self.host else location, "order_requester")


class Volunteer(Person):
    weight = 20
    role = "volunteer"

    @task
    def answer_offers(self) -> None:
        jobs = self.get("/jobs/", "my_jobs")
        offers = re.findall(r'action="/jobs/(\d+)/accept"', jobs or "")
        if not offers:
            return
        job = random.choice(offers)
        page = self.get(f"/jobs/{job}", "job")
        token = csrf_of(page or jobs or "")
        if token:
            self.call("POST", f"/jobs/{job}/accept", "accept", expect=(303,), data={"csrf_token": token})


class Coordinator(Person):
    weight = 10
    role = "coordinator"

    @task
    def dispatch_one(self) -> None:
        queue = self.get("/dispatch/", "queue")
        if queue is None:
            return
        filters = next((f for f in forms_of(queue) if "q" in f["fields"] or "state" in f["fields"]), None)
        query = "state=submitted"
        if filters:
            districts = [o for o in filters["options"].get("district_id", []) if o not in ("", "0")]
            if districts and random.random() < 0.5:
                query += f"&district_id={random.choice(districts)}"
        filtered = self.get(f"/dispatch/?{query}", "queue_filtered")
        orders = re.findall(r'href="/dispatch/orders/(\d+)"', filtered or "")
        if not orders:
            return
        order = random.choice(list(dict.fromkeys(orders))[:10])
        page = self.get(f"/dispatch/orders/{order}", "order_coordinator")
        if not page or f"/dispatch/orders/{order}/dispatch-top" not in page:
            return
        token = csrf_of(page)
        if token:
            self.call("POST", f"/dispatch/orders/{order}/dispatch-top", "dispatch_top", expect=(303,),
                      data={"csrf_token": token})


@events.quitting.add_listener
def _exit_code(environment, **kwargs) -> None:
    stats = environment.stats
    problems = []
    if stats.total.fail_ratio > 0.01:
        problems.append(f"fail_ratio {stats.total.fail_ratio:.2%} > 1%")
    if os.environ.get("LATENCY_CHECK", "1") != "0":
        for entry in stats.entries.values():
            if entry.name in SETUP:
                continue
            p95, p99 = entry.get_response_time_percentile(0.95), entry.get_response_time_percentile(0.99)
            if entry.name in WRITES:
                if p95 > WRITE_P95_MS:
                    problems.append(f"{entry.name} p95 {p95:.0f} ms > {WRITE_P95_MS}")
            elif p95 > READ_P95_MS or p99 > READ_P99_MS:
                problems.append(f"{entry.name} p95 {p95:.0f} / p99 {p99:.0f} ms > {READ_P95_MS} / {READ_P99_MS}")
    if problems:
        print("L2 missed: " + "; ".join(problems))
        environment.process_exit_code = 1
    else:
        print("L2 met: fail_ratio <= 1%, read p95 <= 200 ms / p99 <= 500 ms, write p95 <= 300 ms")
        environment.process_exit_code = 0
