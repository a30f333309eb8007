"""Plotly's JavaScript, served from the installed ``plotly`` package, and the CSS that keeps the CSP strict.

The platform runs air-gapped, so the bundle comes from the Python package's
``package_data/plotly.min.js``, never a CDN.

Plotly.js normally injects its stylesheet as a ``<style>`` element, which a
``style-src 'self'`` policy refuses. Since plotly.js 3 it skips that when the
page already holds an element ``#plotly.js-style-global`` with the class
``no-inline-styles``; we link a stylesheet with that id, whose rules we read
out of the bundle itself so they always match the installed version. The
bundled MapLibre injects its CSS too, unless an element with a fixed id exists;
that id is read from the bundle as well. With both in place (and the mode bar,
which styles its buttons inline, switched off) the dashboard keeps the same
strict policy as every other page: no nonce, no 'unsafe-inline'.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import plotly

BUNDLE = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
STYLE_ELEMENT_ID = "plotly.js-style-global"

# The object literal of plotly's src/css rules: {"X,X div":'direction:ltr;...', ...};for(...)
_RULES_OBJECT = re.compile(r'=\{("X,X div":.*?)\};for\(')
_JS_STRING = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_RULE = re.compile(rf"({_JS_STRING})\s*:\s*({_JS_STRING})")
_MAPLIBRE_GUARD = re.compile(
    r'if\(!document\.getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement'
)
_VERSION = re.compile(r"plotly\.js v(\d+\.\d+\.\d+)")


@dataclass(frozen=True)
class PlotlyAssets:
    """What the pages need to load plotly.js under a strict CSP."""

    version: str
    digest: str
    css: str
    maplibre_guard_id: str


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


@cache
def bundle_bytes() -> bytes:
    """The bundled plotly.min.js."""
    return BUNDLE.read_bytes()


@cache
def bundle_gzip() -> bytes:
    """The bundle compressed once (about a third of its size) for browsers that accept gzip."""
    return gzip.compress(bundle_bytes(), compresslevel=6, mtime=0)


def plotly_css(source: str) -> str:
    """Plotly's own rules as a stylesheet, read from the bundle's source text."""
    match = _RULES_OBJECT.search(source)
    if match is None:
        raise RuntimeError(f"the plotly.js CSS rules were not found in {BUNDLE}: was plotly upgraded?")
    lines = []
    for key, value in _RULE.findall(match.group(1)):
        selector = _unquote(key).replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        lines.append(f"{selector}{{{_unquote(value)}}}")
    return "\n".join(lines) + "\n"


@cache
def assets() -> PlotlyAssets:
    """Version, content digest, the CSS and the MapLibre guard id of the installed bundle."""
    data = bundle_bytes()
    head = data[:400].decode("utf-8", "replace")
    version_match = _VERSION.search(head)
    source = data.decode("utf-8")
    guard = _MAPLIBRE_GUARD.search(source)
    if guard is None:
        raise RuntimeError(f"the MapLibre style guard was not found in {BUNDLE}: was plotly upgraded?")
    return PlotlyAssets(
        version=version_match.group(1) if version_match else plotly.__version__,
        digest=hashlib.sha256(data).hexdigest()[:16],
        css=plotly_css(source),
        maplibre_guard_id=guard.group(1),
    )


def plotly_context() -> dict[str, object]:
    """What a page that draws charts adds to its template context."""
    return {"plotly": assets()}


def chart_layout(**extra: object) -> dict[str, object]:
    """The layout every chart shares, with the reader's number separators."""
    from django.utils.translation import get_language

    # Ukrainian writes 1 234,5: plotly's `separators` is "<decimal><thousands>".
    separators = ", " if (get_language() or "en").startswith("uk") else ".,"
    layout: dict[str, object] = {
        "separators": separators,
        "margin": {"l": 60, "r": 20, "t": 10, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, sans-serif", "size": 13},
        "hovermode": "closest",
    }
    layout.update(extra)
    return layout
