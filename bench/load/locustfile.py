"""Issue 22 load test: a sales company's day against poolcrm (run through bench/load/run.sh).

Users log in as the demo company's people (`poolcrm demo --staff N`, password demo12345): reps,
supervisors, customer service and the GM, each simulated person with an account of their own while
the accounts last (read from `GET /api/v1/users` at the start; more simulated people than accounts
of a kind share them round-robin), each with a weighted mix of pages (HTML, named `page: …`) and API
calls (`api: …`) and think times. A refusal the rules legitimately give (409: pool full, already
claimed or pending, duplicate; 403/404: not theirs to approve or see) counts as an expected outcome,
not a failure, and is tallied per request name in LOAD_OUTCOMES (a JSON file) at the end. Every 5xx,
a timeout or any other status fails the request.

The simulated people are `FastHttpUser`s (geventhttpclient): Locust runs on the machine it measures,
and with `HttpUser` (requests) it took 16 % of a core at 300 users, with `FastHttpUser` 6 % — CPU the
server under test gets back.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from collections import Counter
from typing import Any

import requests
from locust import FastHttpUser, between, events, task
from locust.stats import StatsEntry

from poolcrm.customers.synth import iter_companies
from poolcrm.policy.rules import Policy

PASSWORD = os.environ.get("LOAD_PASSWORD", "demo12345")
# the accounts of each kind of simulated person (filled at the start), and the next one to hand out
ACCOUNTS: dict[str, list[str]] = {"rep": [], "supervisor": [], "cs": [], "gm": []}
NEXT: dict[str, itertools.count[int]] = {kind: itertools.count() for kind in ACCOUNTS}
BRANDS = ["华瑞", "恒通", "鑫达", "宏远", "金桥", "博源", "新世纪", "天成"]  # CUS-7a: a name core of 4+
MOBILE_PREFIXES = ["138", "139", "135", "136", "186", "150", "158", "177"]
# the companies reps come across: the demo's generator with a seed of this run's (distinct names,
# some of which the database already holds), made lazily, 10,000 at a time
COMPANIES = iter_companies(10_000_000, seed=random.SystemRandom().getrandbits(32))
# a match this close is the company itself (IN-1a's threshold for a caller): a rep does not register it
SAME_COMPANY_SCORE = Policy().inbound_match_min_score
TERMS = ["科技", "贸易", "北京", "上海", "电子", "机械", "有限", "广州", "信息", "深圳", "化工", "网络"]

EXPECTED: Counter[str] = Counter()  # "name status" -> count of legitimate refusals
# every timed request as (seconds since the first, "page" or "api", its name, milliseconds): the
# percentiles minute by minute, which tell the spawn's burst of sign-ins from the steady day, and
# which requests a slow minute was made of
TIMES: list[tuple[float, str, str, float]] = []
START: list[float] = []


def pooled_kind(name: str) -> str | None:
    """'page' or 'api' for a request counted in the pooled figures (sign-ins are not)."""
    if "/login" in name or "/auth/" in name:
        return None
    for kind in ("page", "api"):
        if name.startswith(f"{kind}:"):
            return kind
    return None


@events.request.add_listener
def _time_request(name: str, response_time: float, **_: Any) -> None:
    kind = pooled_kind(name)
    if kind is None:
        return
    now = time.monotonic()
    if not START:
        START.append(now)
    TIMES.append((now - START[0], kind, name, response_time))


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values, sorted here."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] if ordered else 0.0


def by_minute() -> list[dict[str, Any]]:
    """Requests and page/API p95 for each minute of the run."""
    minutes: dict[int, dict[str, list[float]]] = {}
    for at, kind, _name, ms in TIMES:
        minutes.setdefault(int(at // 60), {"page": [], "api": []})[kind].append(ms)
    return [
        {
            "minute": m + 1,
            "requests": len(g["page"]) + len(g["api"]),
            "page_p95_ms": round(percentile(g["page"], 0.95)),
            "api_p95_ms": round(percentile(g["api"], 0.95)),
        }
        for m, g in sorted(minutes.items())
    ]


def kind_of(roles: list[str]) -> str | None:
    """Which simulated person an account can be: the GM, customer service, a sales supervisor or
    manager, a rep (service and back-office staff are not simulated)."""
    if "gm" in roles:
        return "gm"
    if "cs" in roles:
        return "cs"
    if "supervisor" in roles or "sales_manager" in roles:
        return "supervisor" if {"sales", "sales_manager"} & set(roles) else None
    return "rep" if "sales" in roles else None


@events.test_start.add_listener
def _read_accounts(environment: Any, **_: Any) -> None:
    """The active accounts, by kind, as the GM sees them in the user list."""
    host = environment.host
    token = requests.post(
        f"{host}/api/v1/auth/token", json={"username": "gm", "password": PASSWORD}, timeout=60
    ).json()["access_token"]
    users = requests.get(
        f"{host}/api/v1/users?active=true", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ).json()
    for user in users:
        kind = kind_of(user["roles"])
        if kind is not None:
            ACCOUNTS[kind].append(user["username"])
    print("accounts:", {kind: len(names) for kind, names in ACCOUNTS.items()}, flush=True)


@events.quitting.add_listener
def _write_outcomes(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_OUTCOMES")
    if not path:
        return
    # page and API requests pooled, so that "page p95" and "API p95" are real percentiles
    groups: dict[str, Any] = {}
    for prefix in ("page", "api"):
        pooled = StatsEntry(environment.stats, prefix, "", use_response_times_cache=False)
        for entry in environment.stats.entries.values():
            if pooled_kind(entry.name) == prefix:
                pooled.extend(entry)
        groups[prefix] = {
            "requests": pooled.num_requests,
            "failures": pooled.num_failures,
            "p50_ms": pooled.get_response_time_percentile(0.5),
            "p95_ms": pooled.get_response_time_percentile(0.95),
            "p99_ms": pooled.get_response_time_percentile(0.99),
        }
    times_path = os.environ.get("LOAD_TIMES")
    if times_path:  # every pooled request: seconds into the run, kind, milliseconds, name
        with open(times_path, "w", encoding="utf-8") as f:
            f.writelines(f"{at:.3f},{kind},{ms:.1f},{name}\n" for at, kind, name, ms in TIMES)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(
            {"expected": dict(EXPECTED), "groups": groups, "by_minute": by_minute()},
            f,
            ensure_ascii=False,
            indent=1,
        )


class Staff(FastHttpUser):
    abstract = True
    wait_time = between(1, 5)
    kind = ""

    def on_start(self) -> None:
        accounts = ACCOUNTS[self.kind]
        self.username = accounts[next(NEXT[self.kind]) % len(accounts)]
        # the page session (cookie) and an API token, as the browser and a script would hold them
        with self.client.post(
            "/login",
            data={"username": self.username, "password": PASSWORD, "next": "/"},
            allow_redirects=False,
            name="page: POST /login",
            catch_response=True,
        ) as r:
            if r.status_code != 303:
                r.failure(f"login {self.username}: {r.status_code}")
        r = self.client.post(
            "/api/v1/auth/token",
            json={"username": self.username, "password": PASSWORD},
            name="api: POST /auth/token",
        )
        token = r.json().get("access_token", "") if r.status_code == 200 else ""
        self.api_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.seen: list[int] = []  # customer ids this user has met in a list

    # -- helpers ---------------------------------------------------------------------------------
    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=f"page: GET {name}", catch_response=True) as r:
            if r.status_code == 200:
                r.success()
            elif r.status_code in (403, 404):  # not visible to this user (ORG-5)
                EXPECTED[f"page: GET {name} {r.status_code}"] += 1
                r.success()
            else:
                r.failure(f"status {r.status_code}: {r.error!r}"[:300])

    def api(
        self,
        method: str,
        path: str,
        name: str,
        *,
        ok: tuple[int, ...] = (200, 201),
        expected: tuple[int, ...] = (),
        **kw: Any,
    ) -> Any:
        label = f"api: {method} {name}"
        with self.client.request(
            method, f"/api/v1{path}", name=label, headers=self.api_headers, catch_response=True, **kw
        ) as r:
            if r.status_code in ok:
                r.success()
                try:
                    return r.json()
                except ValueError:
                    r.failure("not JSON")
                    return None
            if r.status_code in expected:
                EXPECTED[f"{label} {r.status_code}"] += 1
                r.success()
                return None
            r.failure(f"status {r.status_code}: {(r.text or '')[:200]} {r.error!r}"[:400])
            return None

    def remember(self, body: Any) -> list[int]:
        ids = [c["id"] for c in (body or {}).get("items", []) if "id" in c]
        if ids:
            self.seen = (ids + self.seen)[:200]
        return ids

    # -- shared tasks ----------------------------------------------------------------------------
    def dashboard(self) -> None:
        self.page("/", "/ (dashboard)")

    def search(self) -> None:
        term = random.choice(TERMS)
        if random.random() < 0.5:
            self.page(f"/customers?q={term}", "/customers?q=")
        else:
            self.remember(self.api("GET", f"/customers?pool=all&q={term}&page_size=20", "/customers?q="))

    def customer_list(self) -> None:
        pool = random.choice(["all", "mine", "public"])
        if random.random() < 0.5:
            self.page(f"/customers?pool={pool}", f"/customers?pool={pool}")
        else:
            self.remember(self.api("GET", f"/customers?pool={pool}&page_size=20", f"/customers?pool={pool}"))

    def customer_page(self) -> None:
        if not self.seen:
            self.remember(self.api("GET", "/customers?pool=all&page_size=20", "/customers?pool=all"))
        if self.seen:
            cid = random.choice(self.seen)
            if random.random() < 0.6:
                self.page(f"/customers/{cid}", "/customers/[id]")
            else:
                self.api("GET", f"/customers/{cid}", "/customers/[id]", expected=(404,))

    def inbox(self) -> None:
        self.page("/applications", "/applications (inbox)")
        body = self.api("GET", "/applications?status=pending&page_size=20", "/applications?status=pending")
        items = (body or {}).get("items", [])
        if items:
            app = random.choice(items)
            # another approver may have taken it, or a rule forbids it (POOL-2, POOL-4), or it is
            # not this user's to decide
            self.api(
                "POST",
                f"/applications/{app['id']}/approve",
                "/applications/[id]/approve",
                json={},
                expected=(403, 404, 409, 422),
            )


class Rep(Staff):
    weight = 24  # a supervisor per 8 reps, customer service for ~24
    kind = "rep"

    @task(3)
    def t_dashboard(self) -> None:
        self.dashboard()

    @task(4)
    def t_search(self) -> None:
        self.search()

    @task(4)
    def t_list(self) -> None:
        self.customer_list()

    @task(2)
    def t_my_pool(self) -> None:
        self.page("/pools/mine", "/pools/mine")

    @task(4)
    def t_customer(self) -> None:
        self.customer_page()

    @task(3)
    def t_dupcheck_register(self) -> None:
        # a company a rep came across (`COMPANIES`: names, addresses and phones like a day's real
        # leads, of a seed of this run's own), checked first; registered (sometimes) only when the
        # check shows no company it plainly is, as a rep would — a name the database already holds
        # is a check that found it, not a registration refused
        company = next(COMPANIES)
        body = self.api(
            "POST",
            "/customers/duplicates",
            "/customers/duplicates",
            json={"name": company["name"], "phone": company["mobile"]},
        )
        if body is None or random.random() >= 0.4:
            return
        matches = body.get("matches", [])
        if any(m.get("score", 0) >= SAME_COMPANY_SCORE for m in matches):
            return
        self.api(
            "POST",
            "/customers",
            "/customers (register)",
            json={
                "name": company["name"],
                "address": company["address"],
                "contact_name": company["contact_name"],
                "phone": company["mobile"],
                "customer_type": "direct",
                "industry": company["industry"],
                "region": company["region"],
                "source": company["source"],
                # the other companies the check showed, looked at and confirmed as others (CUS-7)
                "confirmed_matches": [m["customer_id"] for m in matches],
            },
            expected=(409,),
        )

    @task(2)
    def t_claim(self) -> None:
        body = self.api(
            "GET",
            f"/customers?pool=public&page={random.randint(1, 50)}&page_size=20",
            "/customers?pool=public",
        )
        items = [c for c in (body or {}).get("items", []) if "id" in c]
        if items:
            cid = random.choice(items)["id"]
            # 409: pool full (POOL-2), already pending or owned — the rules' answer, not an error
            self.api(
                "POST",
                f"/customers/{cid}/claim",
                "/customers/[id]/claim",
                json={"remark": "压测认领"},
                expected=(403, 404, 409, 422),
            )

    @task(4)
    def t_followup(self) -> None:
        body = self.api("GET", "/customers?pool=mine&page_size=50", "/customers?pool=mine")
        items = [c for c in (body or {}).get("items", []) if "id" in c]
        if items:
            cid = random.choice(items)["id"]
            self.api(
                "POST",
                f"/customers/{cid}/followups",
                "/customers/[id]/followups",
                json={
                    "subject": "电话回访",
                    "content": "与客户电话沟通了采购计划、预算和交付时间，客户表示下月再议"
                    f"（{uuid.uuid4().hex[:6]}）",
                    "method": "phone",
                },
                expected=(409, 422),
            )


class Supervisor(Staff):
    weight = 3
    kind = "supervisor"

    @task(3)
    def t_dashboard(self) -> None:
        self.dashboard()

    @task(5)
    def t_inbox(self) -> None:
        self.inbox()

    @task(3)
    def t_list(self) -> None:
        self.customer_list()

    @task(2)
    def t_customer(self) -> None:
        self.customer_page()

    @task(1)
    def t_search(self) -> None:
        self.search()


class CustomerService(Staff):
    weight = 1
    kind = "cs"

    @task(3)
    def t_dashboard(self) -> None:
        self.dashboard()

    @task(4)
    def t_inbox(self) -> None:
        self.inbox()

    @task(3)
    def t_search(self) -> None:
        self.search()

    @task(2)
    def t_dupcheck(self) -> None:
        self.api(
            "POST",
            "/customers/duplicates",
            "/customers/duplicates",
            json={"name": f"{random.choice(BRANDS)}{random.choice(BRANDS)}{random.choice(TERMS)}有限公司"},
        )

    @task(2)
    def t_customer(self) -> None:
        self.customer_page()


class GeneralManager(Staff):
    fixed_count = 1  # one general manager
    kind = "gm"

    @task(4)
    def t_dashboard(self) -> None:
        self.dashboard()

    @task(3)
    def t_list(self) -> None:
        self.customer_list()

    @task(2)
    def t_customer(self) -> None:
        self.customer_page()

    @task(1)
    def t_search(self) -> None:
        self.search()
