"""Imports run one way: an app imports only apps of its own layer or below.

The layers are those of docs/architecture.md. Imports inside functions count as
much as those at the top of a module (they are how cycles hide). The imports
that still climb today are listed in KNOWN_CLIMBS, each to be removed as the
layering work moves the code it needs down; the test fails on any new climb
and on a listed climb that is gone (so the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "nsatu"

# bottom up; an app may import its own layer and those below
LAYERS: dict[str, int] = {
    "planner": 0,  # pure: arrays in, Plan out, no Django
    "core": 1,
    "nations": 2,
    "catalog": 2,
    "logistics": 2,
    "accounts": 2,
    "tokens": 2,
    "scenario": 3,
    "needs": 4,
    "offers": 4,
    "training": 4,
    "planning": 5,
    "shipments": 6,
    "commitments": 7,
    "stress": 7,  # its withdrawal cases take back committed aid as a political shift would
    "monitoring": 7,
    "dashboards": 7,
    "notifications": 7,
    "site": 8,
    "commands": 8,
    "demo": 8,
}

# (module path under src/nsatu, imported module): the debt of today, to be paid off
KNOWN_CLIMBS: set[tuple[str, str]] = {
    ("core/actors.py", "nsatu.accounts.models"),
    ("core/api.py", "nsatu.accounts.models"),
    ("core/releasability.py", "nsatu.nations.models"),
    ("core/uploads.py", "nsatu.offers.upload"),
    ("core/uploads.py", "nsatu.planning.workbooks"),
    ("nations/api.py", "nsatu.shipments.aidchain"),
    ("nations/iati.py", "nsatu.planning.models"),
    ("nations/iati.py", "nsatu.shipments.aidchain"),
    ("nations/iati.py", "nsatu.shipments.models"),
    ("nations/schemas.py", "nsatu.shipments.aidchain"),
    ("nations/views.py", "nsatu.dashboards.lists"),
    ("nations/views.py", "nsatu.shipments.aidchain"),
    ("needs/api.py", "nsatu.planning.models"),
    ("needs/services.py", "nsatu.planning.models"),
    ("offers/services.py", "nsatu.planning.models"),
    ("offers/upload.py", "nsatu.planning.models"),
    ("offers/views.py", "nsatu.dashboards.lists"),
    ("offers/views.py", "nsatu.dashboards.views"),
    ("offers/views.py", "nsatu.planning.models"),
    ("offers/views.py", "nsatu.shipments.services"),
    ("planning/models.py", "nsatu.commitments.models"),
    ("planning/services.py", "nsatu.notifications.services"),
    ("planning/services.py", "nsatu.shipments.services"),
    ("planning/views.py", "nsatu.dashboards.lists"),
    ("shipments/services.py", "nsatu.monitoring.services"),
    ("shipments/services.py", "nsatu.notifications.services"),
    ("shipments/views.py", "nsatu.dashboards.lists"),
    ("shipments/views.py", "nsatu.monitoring.evidence"),
    ("training/readiness.py", "nsatu.monitoring.choices"),
    ("training/readiness.py", "nsatu.monitoring.models"),
    ("training/readiness.py", "nsatu.monitoring.visibility"),
    ("training/readiness.py", "nsatu.planning.models"),
    ("training/readiness.py", "nsatu.shipments.choices"),
    ("training/readiness.py", "nsatu.shipments.models"),
    ("training/services.py", "nsatu.planning.models"),
    ("training/views.py", "nsatu.dashboards.lists"),
}


def _imported(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nsatu."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nsatu."))
    return found


def climbing_imports() -> set[tuple[str, str]]:
    """Every (module, imported module) where an app imports an app of a higher layer."""
    climbs: set[tuple[str, str]] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE).parts
        if len(parts) < 2 or "migrations" in parts or parts[0] not in LAYERS:
            continue
        for module in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            other = module.split(".")[1]
            if LAYERS.get(other, -1) > LAYERS[parts[0]]:
                climbs.add(("/".join(parts), module))
    return climbs


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in SOURCE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert apps <= set(LAYERS), f"apps with no layer in docs/architecture.md: {sorted(apps - set(LAYERS))}"


def test_no_new_import_climbs() -> None:
    new = climbing_imports() - KNOWN_CLIMBS
    assert not new, "imports that climb the layers (see docs/architecture.md):\n" + "\n".join(
        f"  {module} imports {imported}" for module, imported in sorted(new)
    )


def test_known_climbs_are_still_there() -> None:
    gone = KNOWN_CLIMBS - climbing_imports()
    assert not gone, "remove from KNOWN_CLIMBS, they no longer climb:\n" + "\n".join(
        f"  {module} imports {imported}" for module, imported in sorted(gone)
    )


def test_the_planner_imports_no_django() -> None:
    for path in sorted((SOURCE / "planner").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {n for n in names if n == "django" or n.startswith("django.")}, path
        assert all(n.startswith("nsatu.planner") for n in names if n.startswith("nsatu")), path
