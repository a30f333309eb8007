"""A background thread that touches a running row's heartbeat while a worker computes.

The planner may be silent for long; a worker that is killed stops beating, and
the stale-run checks (`nsatu.planning.services`, `nsatu.stress.services`) fail
what it left. One beat every ``NSATU_PLAN_HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.utils import timezone

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Sets ``heartbeat`` on row ``pk`` of ``model`` while its ``status`` is ``running``.

    Use as a context manager: the beats start on entry and stop on exit.
    """

    def __init__(self, model: type[models.Model], pk: int, running: str) -> None:
        super().__init__(daemon=True, name=f"{model._meta.model_name}-{pk}-heartbeat")
        self.model, self.pk, self.running = model, pk, running
        self.stopped = threading.Event()
        self.every = float(getattr(settings, "NSATU_PLAN_HEARTBEAT_SECONDS", 5))

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    self.model._default_manager.filter(pk=self.pk, status=self.running).update(
                        heartbeat=timezone.now()
                    )
                except DatabaseError:
                    # A busy database delays one beat; the next one tries again.
                    logger.warning(
                        "%s %s: heartbeat not written", self.model.__name__, self.pk, exc_info=True
                    )
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
