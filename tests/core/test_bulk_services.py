"""Bulk services: one ledger lock per batch, the same events and validation as one record at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nsatu.core import ledger
from nsatu.core.actors import CLI
from nsatu.core.ledger import NewEvent, append_event, append_events, verify_ledger
from nsatu.core.models import Event
from nsatu.core.services import (
    create_record,
    create_records,
    update_record,
    update_records,
    validate_records,
)
from nsatu.logistics.models import Hub, Route
from nsatu.offers.models import Offer, OfferStatus
from nsatu.training.models import Cohort, Course

pytestmark = pytest.mark.django_db


def queries(action: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def offer_row(world: Any, code: str, **changes: Any) -> dict[str, Any]:
    row = {
        "code": code,
        "donor": world.nations["POL"],
        "item_type": world.item,
        "quantity": 3,
        "available_from": dt.date(2027, 2, 1),
    }
    return {**row, **changes}


def payload_of(obj: Any, action: str) -> dict[str, Any]:
    kind = f"{obj._meta.app_label}.{obj._meta.model_name}"
    return Event.objects.get(action=action, object_type=kind, object_id=str(obj.pk)).payload  # type: ignore[no-any-return]


# --- the ledger -----------------------------------------------------------------------------------


def test_a_batch_chains_exactly_as_one_by_one_appends(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = timezone.now()
    monkeypatch.setattr(ledger.timezone, "now", lambda: fixed)
    items = [
        NewEvent(
            action="create",
            object_type="test.thing",
            object_id=i,
            payload={"n": i, "on": dt.date(2027, 1, i)},
        )
        for i in range(1, 6)
    ]
    with transaction.atomic():
        before = transaction.savepoint()
        batch = [event.hash for event in append_events(items, actor=CLI)]
        transaction.savepoint_rollback(before)
        single = [
            append_event(
                actor=CLI,
                action=i.action,
                object_type=i.object_type,
                object_id=i.object_id,
                payload=i.payload,
            ).hash
            for i in items
        ]
    assert batch == single
    assert verify_ledger().ok


def test_batches_and_single_events_make_one_chain() -> None:
    with transaction.atomic():
        append_event(actor=CLI, action="a", object_type="test.thing")
        append_events([NewEvent("b", "test.thing", n) for n in range(3)], actor=CLI)
        assert append_events([], actor=CLI) == []
        append_event(actor=CLI, action="c", object_type="test.thing")
    assert list(Event.objects.values_list("seq", "action")) == [
        (1, "a"),
        (2, "b"),
        (3, "b"),
        (4, "b"),
        (5, "c"),
    ]
    result = verify_ledger()
    assert result.ok and result.checked == 5


def test_a_batch_takes_the_same_queries_whatever_its_size() -> None:
    def batch(n: int) -> Callable[[], Any]:
        return lambda: append_events([NewEvent("x", "test.thing", i) for i in range(n)], actor=CLI)

    with transaction.atomic():
        append_event(actor=CLI, action="first", object_type="test.thing")  # the ledger head exists
        assert queries(batch(2)) == queries(batch(60))
    assert verify_ledger().ok


# --- create_records -------------------------------------------------------------------------------


def test_create_records_writes_the_events_create_record_writes(world: Any) -> None:
    listed = [world.nations["FRA"], world.nations["DEU"]]
    one = create_record(
        Offer, actor=CLI, m2m={"releasable_to": listed}, **offer_row(world, "O-one", releasability="nations")
    )
    two, three = create_records(
        Offer,
        [
            offer_row(world, "O-two", releasability="nations", releasable_to=[listed[1], listed[0].pk]),
            offer_row(world, "O-three"),
        ],
        actor=CLI,
    )
    expected = payload_of(one, "create")
    got = payload_of(two, "create")
    assert {k: v for k, v in got.items() if k not in ("id", "code")} == {
        k: v for k, v in expected.items() if k not in ("id", "code")
    }
    assert got["releasable_to"] == [n.iso3 for n in sorted(listed, key=lambda n: n.pk)]  # codes, not keys
    assert payload_of(three, "create")["releasable_to"] == []
    assert set(two.releasable_to.all()) == set(listed)
    assert two.created_at is not None and two.version == 1
    assert verify_ledger().ok


def test_create_records_takes_the_same_queries_whatever_the_rows(world: Any) -> None:
    def create(prefix: str, n: int) -> Callable[[], Any]:
        rows = [offer_row(world, f"O-{prefix}{i}", releasable_to=[world.nations["FRA"]]) for i in range(n)]
        return lambda: create_records(Offer, rows, actor=CLI)

    assert queries(create("a", 2)) == queries(create("b", 20))
    assert Offer.objects.filter(code__startswith="O-b").count() == 20


def full_clean_errors(obj: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        obj.full_clean()
    return info.value.message_dict


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": 0},  # check constraint
        {"code": "O-public"},  # unique field, stored
        {"code": ""},  # blank
        {"status": "lost"},  # not a choice
        {"donor_id": 999_999},  # no such nation
        {"earmark_id": 999_999, "quantity": -1},  # two fields at once
        {"available_from": "not a date"},
    ],
)
def test_create_records_refuses_what_full_clean_refuses(world: Any, changes: dict[str, Any]) -> None:
    bad = {**offer_row(world, "O-bad"), **changes}
    if "donor_id" in changes:
        del bad["donor"]
    events = Event.objects.count()
    with pytest.raises(ValidationError) as info:
        create_records(Offer, [offer_row(world, "O-fine"), bad], actor=CLI)
    assert info.value.message_dict == full_clean_errors(Offer(**bad))
    assert not Offer.objects.filter(code__in=["O-fine", "O-bad", ""]).exists()
    assert Event.objects.count() == events


def test_create_records_refuses_a_key_twice_in_one_batch(world: Any) -> None:
    with pytest.raises(ValidationError) as info:
        create_records(Offer, [offer_row(world, "O-twice"), offer_row(world, "O-twice")], actor=CLI)
    assert info.value.message_dict == {"code": ["Offer with this Id already exists."]}
    assert not Offer.objects.filter(code="O-twice").exists()


def test_create_records_checks_unique_constraints_over_several_fields(world: Any) -> None:
    hub = Hub.objects.create(code="RZE", name="Rzeszow", nation=world.nations["POL"], capacity_t_per_week=9)
    Route.objects.create(donor=world.nations["POL"], hub=hub, lead_time_days=5)
    stored = {"donor": world.nations["POL"], "hub": hub, "lead_time_days": 3}
    fresh = {"donor": world.nations["DEU"], "hub": hub, "lead_time_days": 3}
    with pytest.raises(ValidationError) as info:
        create_records(Route, [fresh, stored], actor=CLI)
    assert info.value.message_dict == full_clean_errors(Route(**stored))
    with pytest.raises(ValidationError) as info:
        create_records(Route, [fresh, fresh], actor=CLI)
    assert info.value.message_dict == full_clean_errors(Route(**stored))  # the same words
    assert Route.objects.count() == 1


@pytest.fixture
def course(world: Any) -> Course:
    return create_record(
        Course,
        actor=CLI,
        code="PZH-CREW",
        family=world.family,
        host=world.nations["DEU"],
        seats=20,
        start=dt.date(2026, 12, 7),
        duration_weeks=8,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"seats_filled": 25},  # more than offered: compared with another field
        {"end": dt.date(2026, 1, 1)},  # before its start
        {"graduates": 3},  # graduates without a date
        {"seats_filled": 5, "graduates": 6, "graduated_on": dt.date(2027, 2, 1)},
    ],
)
def test_checks_between_fields_read_as_full_clean_reads_them(course: Course, changes: dict[str, Any]) -> None:
    row = {
        "code": "C-1",
        "course": course,
        "start": course.start,
        "end": dt.date(2027, 2, 1),
        "seats_offered": 20,
        **changes,
    }
    with pytest.raises(ValidationError) as info:
        validate_records([Cohort(**row)])
    assert info.value.message_dict == full_clean_errors(Cohort(**row))


def test_valid_objects_pass_and_get_cleaned_values(course: Course) -> None:
    cohort = Cohort(
        code="C-1", course_id=str(course.pk), start="2026-12-07", end="2027-02-01", seats_offered=20
    )
    validate_records([cohort])
    assert cohort.start == dt.date(2026, 12, 7) and cohort.course_id == course.pk


# --- update_records -------------------------------------------------------------------------------


def test_update_records_writes_the_events_update_record_writes(world: Any) -> None:
    one, two, three = world.offers["public"], world.offers["coalition"], world.offers["listed"]
    stamp = two.updated_at
    update_record(one, actor=CLI, action="allocate", status=OfferStatus.ALLOCATED)
    changed = update_records(
        [(three, {"status": OfferStatus.ALLOCATED}), (two, {"status": OfferStatus.ALLOCATED})],
        actor=CLI,
        action="allocate",
    )
    assert [o.code for o in changed] == ["O-listed", "O-coalition"]
    expected = {"changes": {"status": ["offered", "allocated"]}, "version": 2}
    assert (
        payload_of(one, "allocate")
        == payload_of(two, "allocate")
        == payload_of(three, "allocate")
        == expected
    )
    events = Event.objects.filter(action="allocate").order_by("seq")
    assert [e.object_id for e in events] == [str(one.pk), str(three.pk), str(two.pk)]  # in the order given
    two.refresh_from_db()
    assert two.status == OfferStatus.ALLOCATED and two.version == 2 and two.updated_at > stamp
    assert two.quantity == 2 and set(two.releasable_to.all()) == set()
    assert verify_ledger().ok


def test_update_records_sets_each_object_its_own_values(world: Any, course: Course) -> None:
    cohorts = create_records(
        Cohort,
        [
            {"code": f"C-{i}", "course": course, "start": course.start, "end": dt.date(2027, 2, 1)}
            for i in range(4)
        ],
        actor=CLI,
    )
    update_records(
        [(c, {"target_seats": [5, 5, 7, 0][i], "seats_offered": 10}) for i, c in enumerate(cohorts)],
        actor=CLI,
        action="set_target",
    )
    stored = list(Cohort.objects.order_by("code").values_list("target_seats", "seats_offered", "version"))
    assert stored == [(5, 10, 2), (5, 10, 2), (7, 10, 2), (0, 10, 2)]
    assert payload_of(cohorts[2], "set_target") == {
        "changes": {"target_seats": [0.0, 7.0], "seats_offered": [0.0, 10.0]},
        "version": 2,
    }
    assert payload_of(cohorts[3], "set_target") == {"changes": {"seats_offered": [0.0, 10.0]}, "version": 2}


def test_update_records_refuses_an_invalid_change_and_writes_nothing(world: Any) -> None:
    one, two = world.offers["public"], world.offers["coalition"]
    events = Event.objects.count()
    with pytest.raises(ValidationError) as info:
        update_records([(one, {"quantity": 5}), (two, {"quantity": -1})], actor=CLI)
    two.quantity = -1
    assert info.value.message_dict == full_clean_errors(two)
    one.refresh_from_db()
    assert one.quantity == 2 and one.version == 1
    assert Event.objects.count() == events


def test_update_records_keeps_unique_values_of_the_object_itself_and_refuses_others(world: Any) -> None:
    one, two = world.offers["public"], world.offers["coalition"]
    update_records([(one, {"code": "O-public"}), (two, {"note": "same code as before"})], actor=CLI)
    with pytest.raises(ValidationError) as info:
        update_records([(two, {"code": "O-public"})], actor=CLI)
    assert info.value.message_dict == {"code": ["Offer with this Id already exists."]}


def test_update_records_takes_the_same_queries_whatever_the_objects(world: Any) -> None:
    offers = list(Offer.objects.order_by("pk"))

    def update(objs: list[Offer], note: str) -> Callable[[], Any]:
        return lambda: update_records([(o, {"note": note}) for o in objs], actor=CLI)

    assert queries(update(offers[:1], "one")) == queries(update(offers, "all"))


def test_update_records_refuses_many_to_many_and_repeated_objects(world: Any) -> None:
    offer = world.offers["public"]
    with pytest.raises(ValueError, match="cannot set"):
        update_records([(offer, {"releasable_to": []})], actor=CLI)
    with pytest.raises(ValueError, match="each object once"):
        update_records([(offer, {"note": "a"}), (offer, {"note": "b"})], actor=CLI)
