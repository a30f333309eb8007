"""Base mixins and the hash-chained ledger of events."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from nsatu.core.choices import RELEASABILITY_SHORT, Releasability

GENESIS_HASH = "0" * 64


class TrackedModel(models.Model):
    """Creation and change times, plus a version for optimistic concurrency."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class ReleasableModel(models.Model):
    """A record carrying a releasability marking.

    Subclasses name the path to the owning nation and to the record's
    capability, so that one queryset filter serves every model, and any other
    party that always sees the record whatever its marking (a shipment's
    recipient, who must confirm its receipt).
    """

    RELEASE_OWNER_FIELD: ClassVar[str] = ""
    RELEASE_CAPABILITY_FIELD: ClassVar[str] = ""
    RELEASE_PARTY_FIELDS: ClassVar[tuple[str, ...]] = ()

    releasability = models.CharField(
        _("releasability"), max_length=16, choices=Releasability.choices, default=Releasability.PUBLIC
    )
    releasable_to = models.ManyToManyField(
        "nations.Nation", blank=True, related_name="+", verbose_name=_("releasable to nations")
    )

    class Meta:
        abstract = True

    @property
    def releasability_label(self) -> str:
        """The marking in a few words of the reader's language."""
        return str(RELEASABILITY_SHORT.get(self.releasability, self.releasability))


class Event(models.Model):
    """One entry of the append-only ledger.

    ``hash`` is SHA-256 over ``prev_hash`` and the canonical JSON of the other
    fields, so altering, removing or reordering any event breaks the chain.
    ``state`` is the digest of the record's row after the change (see
    ``nsatu.core.proof``), so the chain proves the data and not only itself;
    ``code`` is the record's own code (``R-010``), for searching.
    The database refuses UPDATE, DELETE, a replacing INSERT and TRUNCATE on
    this table (triggers).
    """

    seq = models.PositiveBigIntegerField(unique=True)
    time = models.DateTimeField()
    actor = models.CharField(max_length=150)
    nation = models.CharField(max_length=3, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=64, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["time"]),
            models.Index(fields=["code"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type} {self.code or self.object_id}"


class LedgerHead(models.Model):
    """The single row naming the last event; locked to serialise appends."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(singleton=1), name="ledgerhead_singleton")]

    def __str__(self) -> str:
        return f"ledger head #{self.seq}"


class Checkpoint(models.Model):
    """A signed (seq, hash) of the chain: Ed25519 by a key kept outside the database.

    A later verify checks that the chain still holds each checkpoint's event
    with that hash and that the signature holds, so rewriting the chain or
    moving the head back is caught. Auditors keep exported copies as well
    (``nsatu ledger checkpoint --out``): rows here can be deleted by whoever
    can delete events. The database refuses UPDATE and DELETE here too.
    """

    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    time = models.DateTimeField()
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    class Meta:
        ordering = ["seq", "pk"]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"
