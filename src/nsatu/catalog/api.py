"""Catalog API: capabilities, platform families, the alias table and item types.

Reference data, not marked: every signed-in user reads it; only coordinators change it.
"""

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from nsatu.catalog import services
from nsatu.catalog.models import Capability, Family, FamilyAlias, ItemType
from nsatu.catalog.schemas import (
    AliasText,
    CapabilityIn,
    CapabilityOut,
    CapabilityPatch,
    FamilyAliasIn,
    FamilyAliasOut,
    FamilyAliasPatch,
    FamilyIn,
    FamilyOut,
    FamilyPatch,
    ItemTypeIn,
    ItemTypeOut,
    ItemTypePatch,
)
from nsatu.core.api import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    Pagination,
    coordinator,
    get_or_404,
    lookup,
    patch_fields,
)
from nsatu.core.schemas import Code, Id, Search
from nsatu.core.services import delete_record, update_record

router = Router()


# --- capabilities --------------------------------------------------------------------------------


@router.get(
    "/capabilities",
    response={200: list[CapabilityOut], **LIST_ERRORS},
    tags=["catalog"],
    summary="List capabilities",
)
@paginate(Pagination)
def list_capabilities(request: HttpRequest, q: Search | None = None) -> QuerySet[Capability]:
    """Capabilities requirements are stated in, optionally those whose code or name contains `q`."""
    queryset = Capability.objects.all()
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return queryset


@router.get(
    "/capabilities/{code}",
    response={200: CapabilityOut, **READ_ERRORS},
    tags=["catalog"],
    summary="Get a capability",
)
def get_capability(request: HttpRequest, code: Code) -> Capability:
    """One capability by its code."""
    return get_or_404(Capability.objects.all(), "capability", code=code)


@router.post(
    "/capabilities",
    response={201: CapabilityOut, **CREATE_ERRORS},
    tags=["catalog"],
    summary="Add a capability",
)
def create_capability(request: HttpRequest, payload: CapabilityIn) -> Status[Capability]:
    """Add a capability (coordinators)."""
    actor = coordinator(request, "change the catalog")
    return Status(201, services.create_capability(actor=actor, **payload.dict()))


@router.patch(
    "/capabilities/{code}",
    response={200: CapabilityOut, **WRITE_ERRORS},
    tags=["catalog"],
    summary="Change a capability",
)
def update_capability(request: HttpRequest, code: Code, payload: CapabilityPatch) -> Capability:
    """Rename a capability (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change the catalog")
    capability = get_or_404(Capability.objects.all(), "capability", code=code)
    return update_record(capability, actor=actor, expected_version=payload.version, **patch_fields(payload))


@router.delete(
    "/capabilities/{code}",
    response={204: None, **WRITE_ERRORS},
    tags=["catalog"],
    summary="Remove a capability",
)
def delete_capability(request: HttpRequest, code: Code) -> Status[None]:
    """Remove a capability nothing refers to (coordinators); 409 otherwise."""
    actor = coordinator(request, "change the catalog")
    # catalog.services has no delete_capability: the generic audited delete writes the event.
    delete_record(get_or_404(Capability.objects.all(), "capability", code=code), actor=actor)
    return Status(204, None)


# --- families ------------------------------------------------------------------------------------


def _families() -> QuerySet[Family]:
    return Family.objects.select_related("capability")


@router.get(
    "/families",
    response={200: list[FamilyOut], **LIST_ERRORS},
    tags=["catalog"],
    summary="List platform families",
)
@paginate(Pagination)
def list_families(
    request: HttpRequest, capability: Code | None = None, in_service: bool | None = None
) -> QuerySet[Family]:
    """Platform families, optionally one capability's, or only those (not) in service."""
    queryset = _families()
    if capability:
        queryset = queryset.filter(capability__code=capability)
    if in_service is not None:
        queryset = queryset.filter(in_service=in_service)
    return queryset


@router.get(
    "/families/{code}", response={200: FamilyOut, **READ_ERRORS}, tags=["catalog"], summary="Get a family"
)
def get_family(request: HttpRequest, code: Code) -> Family:
    """One platform family by its code."""
    return get_or_404(_families(), "family", code=code)


@router.post(
    "/families", response={201: FamilyOut, **CREATE_ERRORS}, tags=["catalog"], summary="Add a family"
)
def create_family(request: HttpRequest, payload: FamilyIn) -> Status[Family]:
    """Add a platform family to the catalog (coordinators)."""
    actor = coordinator(request, "change the catalog")
    fields = payload.dict()
    fields["capability"] = lookup(Capability, "capability", payload.capability, key="code")
    return Status(201, services.create_family(actor=actor, **fields))


@router.patch(
    "/families/{code}", response={200: FamilyOut, **WRITE_ERRORS}, tags=["catalog"], summary="Change a family"
)
def update_family(request: HttpRequest, code: Code, payload: FamilyPatch) -> Family:
    """Change a platform family (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change the catalog")
    family = get_or_404(_families(), "family", code=code)
    changes = patch_fields(payload, nullable={"introduction_cost"})
    if payload.capability is not None:
        changes["capability"] = lookup(Capability, "capability", payload.capability, key="code")
    return services.update_family(family, actor=actor, expected_version=payload.version, **changes)


@router.delete(
    "/families/{code}", response={204: None, **WRITE_ERRORS}, tags=["catalog"], summary="Remove a family"
)
def delete_family(request: HttpRequest, code: Code) -> Status[None]:
    """Remove a family nothing refers to (coordinators); 409 otherwise."""
    actor = coordinator(request, "change the catalog")
    services.delete_family(get_or_404(Family.objects.all(), "family", code=code), actor=actor)
    return Status(204, None)


# --- family aliases ------------------------------------------------------------------------------


def _aliases() -> QuerySet[FamilyAlias]:
    return FamilyAlias.objects.select_related("family")


@router.get(
    "/family-aliases",
    response={200: list[FamilyAliasOut], **LIST_ERRORS},
    tags=["catalog"],
    summary="List family aliases",
)
@paginate(Pagination)
def list_family_aliases(
    request: HttpRequest, family: Code | None = None, alias: AliasText | None = None
) -> QuerySet[FamilyAlias]:
    """Raw system names and the families they stand for; `alias` matches case-insensitively."""
    queryset = _aliases()
    if family:
        queryset = queryset.filter(family__code=family)
    if alias:
        queryset = queryset.filter(alias__iexact=alias.strip())
    return queryset


@router.get(
    "/family-aliases/{alias_id}",
    response={200: FamilyAliasOut, **READ_ERRORS},
    tags=["catalog"],
    summary="Get a family alias",
)
def get_family_alias(request: HttpRequest, alias_id: Id) -> FamilyAlias:
    """One alias by its id."""
    return get_or_404(_aliases(), "family alias", pk=alias_id)


@router.post(
    "/family-aliases",
    response={201: FamilyAliasOut, **CREATE_ERRORS},
    tags=["catalog"],
    summary="Add a family alias",
)
def create_family_alias(request: HttpRequest, payload: FamilyAliasIn) -> Status[FamilyAlias]:
    """Map a raw system name to a family (coordinators)."""
    actor = coordinator(request, "change the catalog")
    family = lookup(Family, "family", payload.family, key="code")
    alias = services.create_family_alias(
        actor=actor, alias=payload.alias, family=family, source=payload.source
    )
    return Status(201, alias)


@router.patch(
    "/family-aliases/{alias_id}",
    response={200: FamilyAliasOut, **WRITE_ERRORS},
    tags=["catalog"],
    summary="Change a family alias",
)
def update_family_alias(request: HttpRequest, alias_id: Id, payload: FamilyAliasPatch) -> FamilyAlias:
    """Change an alias (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change the catalog")
    alias = get_or_404(_aliases(), "family alias", pk=alias_id)
    changes = patch_fields(payload)
    if payload.family is not None:
        changes["family"] = lookup(Family, "family", payload.family, key="code")
    if payload.alias is not None:
        changes["alias"] = payload.alias.strip()
    # catalog.services has no update_family_alias: the generic audited update writes the event.
    return update_record(alias, actor=actor, expected_version=payload.version, **changes)


@router.delete(
    "/family-aliases/{alias_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["catalog"],
    summary="Remove a family alias",
)
def delete_family_alias(request: HttpRequest, alias_id: Id) -> Status[None]:
    """Remove an alias (coordinators)."""
    actor = coordinator(request, "change the catalog")
    services.delete_family_alias(
        get_or_404(FamilyAlias.objects.all(), "family alias", pk=alias_id), actor=actor
    )
    return Status(204, None)


# --- item types ----------------------------------------------------------------------------------


def _item_types() -> QuerySet[ItemType]:
    return ItemType.objects.select_related("family__capability")


@router.get(
    "/item-types",
    response={200: list[ItemTypeOut], **LIST_ERRORS},
    tags=["catalog"],
    summary="List item types",
)
@paginate(Pagination)
def list_item_types(
    request: HttpRequest, family: Code | None = None, capability: Code | None = None, q: Search | None = None
) -> QuerySet[ItemType]:
    """Item types donors can give, optionally one family's or capability's, or matching `q`."""
    queryset = _item_types()
    if family:
        queryset = queryset.filter(family__code=family)
    if capability:
        queryset = queryset.filter(family__capability__code=capability)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(nsn=q))
    return queryset


@router.get(
    "/item-types/{code}",
    response={200: ItemTypeOut, **READ_ERRORS},
    tags=["catalog"],
    summary="Get an item type",
)
def get_item_type(request: HttpRequest, code: Code) -> ItemType:
    """One item type by its code."""
    return get_or_404(_item_types(), "item type", code=code)


@router.post(
    "/item-types", response={201: ItemTypeOut, **CREATE_ERRORS}, tags=["catalog"], summary="Add an item type"
)
def create_item_type(request: HttpRequest, payload: ItemTypeIn) -> Status[ItemType]:
    """Add an item type (coordinators)."""
    actor = coordinator(request, "change the catalog")
    fields = payload.dict()
    fields["family"] = lookup(Family, "family", payload.family, key="code")
    item = services.create_item_type(actor=actor, **fields)
    return Status(201, get_or_404(_item_types(), "item type", pk=item.pk))


@router.patch(
    "/item-types/{code}",
    response={200: ItemTypeOut, **WRITE_ERRORS},
    tags=["catalog"],
    summary="Change an item type",
)
def update_item_type(request: HttpRequest, code: Code, payload: ItemTypePatch) -> ItemType:
    """Change an item type (coordinators); 409 when `version` is stale."""
    actor = coordinator(request, "change the catalog")
    item = get_or_404(_item_types(), "item type", code=code)
    changes = patch_fields(payload, nullable={"countable"})
    if payload.family is not None:
        changes["family"] = lookup(Family, "family", payload.family, key="code")
    services.update_item_type(item, actor=actor, expected_version=payload.version, **changes)
    return get_or_404(_item_types(), "item type", pk=item.pk)


@router.delete(
    "/item-types/{code}",
    response={204: None, **WRITE_ERRORS},
    tags=["catalog"],
    summary="Remove an item type",
)
def delete_item_type(request: HttpRequest, code: Code) -> Status[None]:
    """Remove an item type nothing refers to (coordinators); 409 otherwise."""
    actor = coordinator(request, "change the catalog")
    services.delete_item_type(get_or_404(ItemType.objects.all(), "item type", code=code), actor=actor)
    return Status(204, None)
