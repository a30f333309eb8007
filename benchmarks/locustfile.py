"""Load scenario: users of every role doing their daily reads and writes.

Run by benchmarks/load.py; each simulated user signs in with its role's account
(created by load.py) and stays signed in. Besides locust's own statistics, the
run writes ``$NSATU_LOAD_OUT`` (JSON): every response's status code by endpoint,
and the offer codes each write sent and the server acknowledged (302), so that
load.py can check that no acknowledged write is lost or duplicated. Locust's
statistics restart when the last of ``$NSATU_LOAD_USERS`` users has signed in.
"""

from __future__ import annotations

import collections
import json
import os
import random
import re
import uuid
from typing import Any

from locust import HttpUser, constant, events, task

PASSWORD = os.environ.get("NSATU_LOAD_PASSWORD", "")
OUT = os.environ.get("NSATU_LOAD_OUT", "")
# Statistics restart once this many users have signed in, so that the opening burst of
# sign-ins (Argon2, deliberately slow) does not stand for the steady state.
USERS = int(os.environ.get("NSATU_LOAD_USERS", "0"))
signed_in = 0
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM = re.compile(r'<option value="(\d+)">')

statuses: collections.Counter[tuple[str, int]] = collections.Counter()
writes: dict[str, list[str]] = {"sent": [], "acknowledged": []}


def count_status(name: str, response: Any, exception: Any, **_: Any) -> None:
    """Every response's status by endpoint (0: no response at all)."""
    status = getattr(response, "status_code", 0) or 0
    statuses[(name, int(status))] += 1


def write_out(**_: Any) -> None:
    if OUT:
        with open(OUT, "w") as handle:
            json.dump(
                {
                    "statuses": [[name, status, n] for (name, status), n in sorted(statuses.items())],
                    "writes": writes,
                },
                handle,
            )


events.request.add_listener(count_status)  # type: ignore[no-untyped-call]
events.quitting.add_listener(write_out)  # type: ignore[no-untyped-call]


class SignedIn(HttpUser):
    abstract = True
    # No think time: every user sends its next request at once, so both runs
    # saturate the server and their throughputs compare its capacity.
    wait_time = constant(0)
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/login/", name="/login/ [GET]")
        token = CSRF.search(page.text)
        with self.client.post(
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="/login/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # a refused login answers 200 with the form again: every later page would be the login page
            if response.status_code != 302:
                response.failure(f"login of {self.username} refused ({response.status_code})")
        global signed_in
        signed_in += 1
        if signed_in == USERS:
            self.environment.stats.reset_all()


class Donor(SignedIn):
    weight = 4
    username = "load-donor"

    @task(4)
    def read_offers(self) -> None:
        self.client.get("/offers/")
        self.client.get("/api/v1/offers?limit=50", name="/api/v1/offers")

    @task(2)
    def read_requirements(self) -> None:
        self.client.get("/requirements/?sort=priority", name="/requirements/")

    @task(1)
    def add_offer(self) -> None:
        form = self.client.get("/offers/new/", name="/offers/new/ [GET]")
        token = CSRF.search(form.text)
        items = ITEM.findall(form.text)
        if not token or not items:
            return
        code = f"LOAD-{uuid.uuid4().hex[:12]}"
        writes["sent"].append(code)
        with self.client.post(
            "/offers/new/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "code": code,
                "item_type": random.choice(items),
                "quantity": "1",
                "available_from": "2027-03-01",
                "releasability": "public",
            },
            name="/offers/new/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:  # saved: the form redirects to the offer
                writes["acknowledged"].append(code)
            else:
                response.failure(f"offer not saved ({response.status_code})")


class Recipient(SignedIn):
    weight = 2
    username = "load-recipient"

    @task
    def read(self) -> None:
        self.client.get("/requirements/")
        self.client.get("/api/v1/requirements?limit=50", name="/api/v1/requirements")


class Coordinator(SignedIn):
    weight = 2
    username = "load-coordinator"

    @task
    def read(self) -> None:
        self.client.get("/plans/")
        self.client.get("/")


class Leadership(SignedIn):
    weight = 1
    username = "load-leadership"

    @task
    def read(self) -> None:
        self.client.get("/")
        self.client.get("/requirements/")


class Auditor(SignedIn):
    weight = 1
    username = "load-auditor"

    @task
    def read(self) -> None:
        # the ledger page itself (/ledger/ only redirects here)
        self.client.get("/audit/ledger/")


class Bare(HttpUser):
    """The ceiling: a Django view that touches neither the database nor a template."""

    # No think time: every user sends its next request at once, so both runs
    # saturate the server and their throughputs compare its capacity.
    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz")
