"""Everything `nsatu ledger verify` checks: the chain, the data it proves and the signed checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from nsatu.core.ledger import Verification, verify_ledger
from nsatu.core.proof import DataVerification, verify_data
from nsatu.core.signing import (
    SigningError,
    check,
    check_stored,
    load_public_key,
    local_public_key,
    read_document,
)


@dataclass
class Report:
    """The three checks' results; ``ok`` only when all hold."""

    chain: Verification
    data: DataVerification
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.data.ok and not self.problems

    def failures(self) -> list[str]:
        """One line per problem, the chain's first."""
        lines = []
        if not self.chain.ok:
            lines.append(
                _("chain broken at event #%(seq)s: %(reason)s")
                % {"seq": self.chain.bad_seq, "reason": self.chain.reason}
            )
        lines.extend(difference.describe() for difference in self.data.differences)
        lines.extend(self.problems)
        return lines


def verify_everything(
    *, using: str = "default", checkpoint: Path | None = None, public_key: Path | None = None
) -> Report:
    """Walk the chain, compare every proved row with it, check the stored checkpoints and ``checkpoint``.

    Signatures are checked with ``public_key`` when given, else with this
    installation's own public key when it has one.
    """
    chain = verify_ledger(using=using)
    data = verify_data(using=using)
    problems: list[str] = []
    try:
        trusted = load_public_key(public_key) if public_key is not None else local_public_key()
    except SigningError as exc:
        return Report(chain, data, 0, [str(exc)])
    count, found = check_stored(trusted, using=using)
    problems.extend(found)
    if checkpoint is not None:
        try:
            found_in_file = check(read_document(checkpoint), trusted, using=using)
        except SigningError as exc:
            found_in_file = str(exc)
        if found_in_file:
            problems.append(found_in_file)
        count += 1
    return Report(chain, data, count, problems)
