"""`flush`, aware that the ledger table refuses DELETE.

Emptying the whole database (tests, a deliberate reset) is the one time the
ledger may go; SQLite's flush deletes row by row, so the triggers are lifted
for the flush and put back after it.
"""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from nsatu.core import triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
