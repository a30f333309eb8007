"""Starting stress runs (audited); the tasks do the rest."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from nsatu.core.actors import Actor, actor_identity
from nsatu.core.services import create_record
from nsatu.stress.models import StressKind, StressRun

METHODS = ("optimal", "greedy")
MAX_SAMPLES = 1000


class StressError(Exception):
    """A stress run that cannot be started, with a message for the user."""


def start_stress_run(
    *,
    actor: Actor,
    kind: str,
    method: str = "optimal",
    time_limit: float = 10.0,
    samples: int = 0,
    seed: int = 1,
    mean_delay_days: float = 14.0,
) -> StressRun:
    """Queue a stress run over the database's scenario: the base plan first, then one task per case."""
    if kind not in StressKind.values:
        raise StressError(
            _("unknown kind %(kind)r: choose one of %(kinds)s")
            % {"kind": kind, "kinds": ", ".join(StressKind.values)}
        )
    if method not in METHODS:
        raise StressError(
            _("unknown method %(method)r: choose one of %(methods)s")
            % {"method": method, "methods": ", ".join(METHODS)}
        )
    if not 0 < time_limit <= 600:
        raise StressError(_("the time limit per plan must be between 0 and 600 seconds"))
    if kind == StressKind.DELAYS and not 1 <= samples <= MAX_SAMPLES:
        raise StressError(
            _("the number of delay samples must be between 1 and %(max)s") % {"max": MAX_SAMPLES}
        )
    if mean_delay_days < 0:
        raise StressError(_("the mean delay cannot be negative"))
    from nsatu.stress.tasks import prepare_stress_run

    with transaction.atomic():
        run = create_record(
            StressRun,
            actor=actor,
            kind=kind,
            method=method,
            time_limit=time_limit,
            samples=samples if kind == StressKind.DELAYS else 0,
            seed=seed,
            mean_delay_days=mean_delay_days,
            created_by=actor_identity(actor)[0],
        )
        # after commit, so the worker never looks for a run that is not there yet
        transaction.on_commit(lambda: _enqueue(prepare_stress_run, run.pk))
    return run


def _enqueue(task: Any, *args: Any) -> None:
    task.enqueue(*args)
