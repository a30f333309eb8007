"""Export the agreements' aid chain as IATI activity XML (standard version 2.03).

One ``iati-activity`` per bilateral agreement, reported by its donor, with one
transaction per counted entry of the chain: type 12 (outgoing pledge) per
yearly pledge, type 2 (outgoing commitment) per committed offer, type 3
(disbursement) per received shipment at its delivered in-kind value. Entries
without a known value carry no money and are left out; shipped-but-not-received
is no IATI transaction.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from nsatu.nations.models import Nation
from nsatu.shipments.aidchain import AgreementChain, Entry

IATI_VERSION = "2.03"
TRANSACTION_TYPE = {"pledged": "12", "committed": "2", "received": "3"}
GOVERNMENT = "10"  # IATI OrganisationType: government
ROLE_FUNDING, ROLE_IMPLEMENTING = "1", "4"
ACTIVITY_IMPLEMENTATION = "2"
DATE_ACTUAL_START, DATE_PLANNED_END = "2", "3"
FLOW_OTHER_OFFICIAL = "20"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# ISO 3166-1 alpha-3 -> alpha-2 for the participants (IATI names countries in alpha-2).
ISO2 = {
    "ALB": "AL", "AUS": "AU", "AUT": "AT", "BEL": "BE", "BGR": "BG", "CAN": "CA", "HRV": "HR",
    "CYP": "CY", "CZE": "CZ", "DNK": "DK", "EST": "EE", "FIN": "FI", "FRA": "FR", "DEU": "DE",
    "GRC": "GR", "HUN": "HU", "ISL": "IS", "IRL": "IE", "ITA": "IT", "JPN": "JP", "KOR": "KR",
    "LVA": "LV", "LTU": "LT", "LUX": "LU", "MLT": "MT", "MNE": "ME", "NLD": "NL", "NZL": "NZ",
    "MKD": "MK", "NOR": "NO", "POL": "PL", "PRT": "PT", "ROU": "RO", "SVK": "SK", "SVN": "SI",
    "ESP": "ES", "SWE": "SE", "CHE": "CH", "TUR": "TR", "GBR": "GB", "USA": "US", "UKR": "UA",
    "MDA": "MD", "GEO": "GE",
}  # fmt: skip


def org_ref(nation: Nation) -> str:
    """The organisation identifier a nation's government reports under."""
    return f"XM-NSATU-{nation.iso3}"


def activity_identifier(chain: AgreementChain) -> str:
    return f"{org_ref(chain.agreement.donor)}-{chain.agreement.code}"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    ET.SubElement(element, "narrative").text = text
    return element


def _transaction(activity: ET.Element, entry: Entry, donor: Nation, recipient: Nation | None) -> None:
    assert entry.value is not None
    transaction = ET.SubElement(activity, "transaction", {"ref": entry.ref})
    ET.SubElement(transaction, "transaction-type", {"code": TRANSACTION_TYPE[entry.stage]})
    ET.SubElement(transaction, "transaction-date", {"iso-date": entry.date.isoformat()})
    value = ET.SubElement(
        transaction, "value", {"currency": entry.currency, "value-date": entry.date.isoformat()}
    )
    value.text = f"{entry.value:.2f}"
    _text(transaction, "description", entry.description)
    _text(transaction, "provider-org", donor.name, ref=org_ref(donor), type=GOVERNMENT)
    if recipient is not None:
        _text(transaction, "receiver-org", recipient.name, ref=org_ref(recipient), type=GOVERNMENT)


def activity_element(chain: AgreementChain, recipient: Nation | None) -> ET.Element:
    """One agreement as an ``iati-activity``, its elements in the schema's order."""
    agreement, donor = chain.agreement, chain.agreement.donor
    activity = ET.Element("iati-activity", {XML_LANG: "en", "humanitarian": "false"})
    ET.SubElement(activity, "iati-identifier").text = activity_identifier(chain)
    _text(activity, "reporting-org", donor.name, ref=org_ref(donor), type=GOVERNMENT)
    partner = recipient.name if recipient else ""
    _text(activity, "title", f"{agreement.code}: {donor.name} bilateral security agreement {partner}".strip())
    _text(
        activity, "description", agreement.note or f"Signed {agreement.signed.isoformat()} {agreement.place}"
    )
    _text(activity, "participating-org", donor.name, ref=org_ref(donor), type=GOVERNMENT, role=ROLE_FUNDING)
    if recipient is not None:
        _text(
            activity,
            "participating-org",
            recipient.name,
            ref=org_ref(recipient),
            type=GOVERNMENT,
            role=ROLE_IMPLEMENTING,
        )
    ET.SubElement(activity, "activity-status", {"code": ACTIVITY_IMPLEMENTATION})
    ET.SubElement(
        activity, "activity-date", {"type": DATE_ACTUAL_START, "iso-date": agreement.signed.isoformat()}
    )
    if agreement.duration_years:
        end = agreement.signed.replace(year=agreement.signed.year + agreement.duration_years)
        ET.SubElement(activity, "activity-date", {"type": DATE_PLANNED_END, "iso-date": end.isoformat()})
    if recipient is not None and recipient.iso3 in ISO2:
        ET.SubElement(activity, "recipient-country", {"code": ISO2[recipient.iso3], "percentage": "100"})
    ET.SubElement(activity, "default-flow-type", {"code": FLOW_OTHER_OFFICIAL})
    for entry in sorted(chain.entries, key=lambda e: (e.date, e.stage, e.ref)):
        if entry.stage in TRANSACTION_TYPE and entry.value is not None:
            _transaction(activity, entry, donor, recipient)
    return activity


def iati_xml(
    chains: list[AgreementChain], *, recipient: Nation | None, generated: dt.datetime | None = None
) -> bytes:
    """The IATI activities document for these agreements."""
    attrs = {"version": IATI_VERSION}
    if generated is not None:
        attrs["generated-datetime"] = generated.replace(microsecond=0).isoformat()
    root = ET.Element("iati-activities", attrs)
    for chain in chains:
        root.append(activity_element(chain, recipient))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def validate_iati(document: bytes, schema_dir: Path) -> list[str]:
    """Validate against the official schema in ``schema_dir``; the errors, none when valid (needs lxml)."""
    from lxml import etree

    schema_doc: Any = etree.parse(str(schema_dir / "iati-activities-schema.xsd"))
    schema = etree.XMLSchema(schema_doc)
    parsed = etree.fromstring(document)
    if schema.validate(parsed):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def default_recipient() -> Nation | None:
    """The recipient the agreements serve: the planning settings', else the first shipment's."""
    from nsatu.planning.models import PlanningSettings
    from nsatu.shipments.models import Shipment

    current = PlanningSettings.objects.select_related("recipient").first()
    if current is not None and current.recipient is not None:
        return current.recipient
    shipment = Shipment.objects.select_related("recipient").first()
    return shipment.recipient if shipment else None
