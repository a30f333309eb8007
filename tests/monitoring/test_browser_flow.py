"""The flow the issue describes, in a real browser: receive with serials, the initial inventory, one item
lost and one damaged, the damaged one to repair and back, a waybill photo opened by another nation
(refused) and by the donor (shown), and the notifications arriving."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from nsatu.catalog.services import update_item_type
from nsatu.core.actors import CLI
from nsatu.monitoring.models import Evidence, MonitoredItem
from tests.conftest import screenshot
from tests.monitoring.files import png_bytes
from tests.shipments.builders import handed_over, shipments_for
from tests.site.test_browser_login import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIALS = ["EUM-001", "EUM-002", "EUM-003"]


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_receipt_inventory_loss_damage_repair_evidence_and_notifications(
    live_server: Any, world: Any, browser: Any, tmp_path: Path
) -> None:
    update_item_type(world.item, actor=CLI, serialised=True)
    # a command-only offer: its donor (POL), the recipient (UKR) and the command see it; DEU does not
    (shipment,) = shipments_for(world, [(world.offers["command"], 3, 3)])
    handed_over(shipment, serials=SERIALS)
    base = live_server.url
    ukr_context, page = new_page(browser)
    try:
        sign_in(page, base, "ukr")
        page.get_by_role("heading", name="Overview").wait_for()
        # the dispatch and the hand-over have already told the recipient
        assert page.get_by_test_id("inbox-link").inner_text().strip() == "Inbox 2"

        # receive with serials
        page.goto(f"{base}/shipments/receipts/")
        page.get_by_label("Shipment code").fill(shipment.code)
        page.get_by_label("Shipment code").press("Enter")
        page.get_by_label("Units received").fill("3")
        page.get_by_label("Serial numbers found").fill("\n".join(SERIALS))
        page.get_by_role("button", name="Confirm receipt").click()
        page.get_by_role("heading", name=f"Shipment {shipment.code}").wait_for()
        assert "Receipt of" in page.locator(".messages").inner_text()

        # the initial inventory
        page.get_by_role("link", name="Monitoring").click()
        page.get_by_role("heading", name="End-use monitoring").wait_for()
        assert page.get_by_test_id("overdue-share").inner_text() == "0 %"
        page.get_by_role("link", name="Record an inventory").first.click()
        page.get_by_label("Serial numbers sighted").fill("\n".join(SERIALS))
        page.get_by_label("Unit").fill("25th Airborne Brigade")
        screenshot(page, "eum-inventory")
        page.get_by_role("button", name="Record the inventory").click()
        page.get_by_role("heading", name="Inventory INV-").wait_for()
        assert all(serial in page.locator("#lines").inner_text() for serial in SERIALS)

        # one lost, one damaged
        items = {i.serial: i for i in MonitoredItem.objects.all()}
        page.goto(f"{base}/monitoring/items/{items['EUM-001'].pk}/")
        page.get_by_label("What happened").select_option("lost")
        page.locator("#id_report-reason").select_option("combat")
        page.get_by_label("Details").fill("lost under artillery fire")
        page.get_by_role("button", name="Report", exact=True).click()
        page.get_by_test_id("item-state").filter(has_text="Lost").wait_for()
        page.goto(f"{base}/monitoring/items/{items['EUM-002'].pk}/")
        page.get_by_label("What happened").select_option("damaged")
        page.locator("#id_report-reason").select_option("accident")
        page.get_by_role("button", name="Report", exact=True).click()
        page.get_by_test_id("item-state").filter(has_text="Damaged").wait_for()

        # the damaged one to repair and back
        today = dt.date.today()
        page.get_by_label("Facility", exact=True).select_option("donor")
        page.get_by_label("Planned departure", exact=True).fill(today.isoformat())
        page.get_by_label("Planned arrival at the facility").fill((today + dt.timedelta(days=3)).isoformat())
        page.get_by_label("Planned departure back").fill((today + dt.timedelta(days=20)).isoformat())
        page.get_by_label("Planned return").fill((today + dt.timedelta(days=23)).isoformat())
        page.get_by_role("button", name="Open a repair order").click()
        page.get_by_role("heading", name="Repair order REP-").wait_for()
        for label in ("Sent", "At the facility", "Repaired", "Returning", "Returned"):
            page.get_by_role("button", name=f"Mark {label}").click()
            page.get_by_test_id("repair-state").filter(has_text=label).wait_for()
        screenshot(page, "eum-repair-returned")
        page.get_by_role("link", name="PzH 2000 EUM-002").click()
        page.get_by_test_id("item-state").filter(has_text="In service").wait_for()

        # a third-party transfer request for the third: the donor will be told
        page.goto(f"{base}/monitoring/items/{items['EUM-003'].pk}/")
        page.get_by_label("Third party").fill("Moldova")
        page.locator("#id_transfer-reason").fill("joint exercise")
        page.get_by_role("button", name="Ask the donor").click()
        page.locator(".messages").filter(has_text="awaits the donor").wait_for()

        # a waybill photo beside the shipment
        page.goto(f"{base}/shipments/{shipment.code}/")
        page.get_by_role("link", name="Attach a file").click()
        page.get_by_label("Kind").select_option("waybill")
        photo = tmp_path / "waybill.png"
        photo.write_bytes(png_bytes(40, 30))
        page.get_by_label("File").set_input_files(str(photo))
        page.get_by_role("button", name="Upload").click()
        page.get_by_role("heading", name=f"Shipment {shipment.code}").wait_for()
        assert "waybill.png" in page.locator("#evidence").inner_text()
        evidence = Evidence.objects.get()

        # the recipient's inbox holds the dispatch, the arrival and the inventory due
        page.goto(f"{base}/inbox/")
        inbox = page.locator("#inbox").inner_text()
        assert f"Shipment {shipment.code}" in inbox and "need their initial inventory by" in inbox
        screenshot(page, "eum-inbox-recipient")
    finally:
        ukr_context.close()

    other_context, other = new_page(browser)
    try:
        sign_in(other, base, "deu")
        other.get_by_role("heading", name="Overview").wait_for()
        refused = other.goto(f"{base}/monitoring/evidence/{evidence.pk}/")
        assert refused is not None and refused.status == 404
        assert other.goto(f"{base}/shipments/{shipment.code}/").status == 404  # type: ignore[union-attr]
    finally:
        other_context.close()

    donor_context, donor = new_page(browser)
    try:
        sign_in(donor, base, "pol")
        donor.get_by_role("heading", name="Overview").wait_for()
        shown = donor.goto(f"{base}/monitoring/evidence/{evidence.pk}/")
        assert shown is not None and shown.status == 200
        assert shown.headers["content-type"] == "image/png" and shown.body() == photo.read_bytes()
        donor.goto(f"{base}/inbox/")
        inbox = donor.locator("#inbox").inner_text()
        assert "asks your consent to transfer PzH 2000 EUM-003 to Moldova" in inbox
        assert "was approved: it commits 1 line of your offers (O-command)" in inbox
        donor.get_by_role("link", name="asks your consent").click()
        donor.get_by_role("heading", name="Third-party transfers").wait_for()
        donor.get_by_label("Decision").select_option("no")
        donor.get_by_role("button", name="Decide").click()
        donor.locator(".messages").filter(has_text="refused").wait_for()
        screenshot(donor, "eum-transfer-refused")
        # the donor's view of the overdue figure: its items, none overdue yet
        donor.goto(f"{base}/monitoring/")
        assert donor.get_by_test_id("overdue-share").inner_text() == "0 %"
        assert "(0 of 2)" in donor.locator("#headline").inner_text()
    finally:
        donor_context.close()
