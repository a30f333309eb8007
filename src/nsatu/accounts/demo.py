"""Demo users, one per role, with passwords generated on first use.

Passwords are random and kept in ``var/demo-logins.txt`` (readable by the
owner only) so that a second `make run` shows the same logins; nothing secret
is in the repository.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from nsatu.accounts.models import User
from nsatu.accounts.services import create_user, update_user
from nsatu.core.actors import SystemActor
from nsatu.core.choices import Role
from nsatu.nations.models import Nation

DEMO = SystemActor("demo")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    nation: str
    description: str


DEMO_USERS = [
    ("coordinator", Role.COORDINATOR, "", "command staff: plans, approvals, back office"),
    ("donor-deu", Role.DONOR, "DEU", "Germany's representative: offers and where they go"),
    ("donor-pol", Role.DONOR, "POL", "Poland's representative"),
    ("recipient", Role.RECIPIENT, "UKR", "Ukraine's staff: requirements and receipts"),
    ("leadership", Role.LEADERSHIP, "", "dashboards"),
    ("auditor", Role.AUDITOR, "", "the ledger and exports"),
]


def _logins_file() -> Path:
    path: Path = settings.VAR_DIR / "demo-logins.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def ensure_demo_users() -> list[DemoLogin]:
    """Create missing demo users; return every demo login with its password."""
    path = _logins_file()
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    logins: list[DemoLogin] = []
    with transaction.atomic():
        for username, role, iso3, description in DEMO_USERS:
            nation = Nation.objects.filter(iso3=iso3).first() if iso3 else None
            if iso3 and nation is None:
                continue  # the demo scenario is not loaded; skip nation users
            user = User.objects.filter(username=username).first()
            password = known.get(username)
            if user is None or password is None:
                password = secrets.token_urlsafe(9)
                if user is None:
                    create_user(
                        actor=DEMO,
                        username=username,
                        password=password,
                        role=role,
                        nation=nation,
                        is_staff=role == Role.COORDINATOR,
                    )
                else:
                    update_user(user, actor=DEMO, password=password)
                known[username] = password
            logins.append(DemoLogin(username, password, str(role), iso3, description))
    path.write_text(json.dumps(known, indent=1))
    path.chmod(0o600)
    return logins


__all__ = ["DemoLogin", "asdict", "ensure_demo_users"]
