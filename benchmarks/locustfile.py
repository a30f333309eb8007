"""Load scenario: users of every role doing their daily reads and writes.

Run by benchmarks/load.py; each simulated user signs in with its own demo-style
account (created by load.py) and stays signed in.
"""

from __future__ import annotations

import os
import random
import re
import uuid

from locust import HttpUser, between, task

PASSWORD = os.environ.get("NSATU_LOAD_PASSWORD", "")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM = re.compile(r'<option value="(\d+)">')


class SignedIn(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/login/", name="/login/ [GET]")
        token = CSRF.search(page.text)
        self.client.post(
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="/login/ [POST]",
        )


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
        self.client.post(
            "/offers/new/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "code": f"LOAD-{uuid.uuid4().hex[:12]}",
                "item_type": random.choice(items),
                "quantity": "1",
                "available_from": "2027-03-01",
                "releasability": "public",
            },
            name="/offers/new/ [POST]",
        )


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
        self.client.get("/ledger/")


class Bare(HttpUser):
    """The ceiling: a Django view that touches neither the database nor a template."""

    wait_time = between(0.2, 1.0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz")
