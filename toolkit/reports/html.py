"""Render Jinja2 templates (autoescaped) into one self-contained HTML page."""

from __future__ import annotations

import base64
import io

import jinja2
from matplotlib.figure import Figure

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("toolkit.reports", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value, digits: int = 4) -> str:
    """Numbers for tables: significant digits, thousands separators, a dash for nan/None."""
    if value is None or (isinstance(value, float) and value != value):
        return "\u2014"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}g}" if abs(value) < 10 ** digits else f"{value:,.0f}"


def _percent(value) -> str:
    """Shares as percentages with one decimal; a dash for nan/None."""
    if value is None or (isinstance(value, float) and value != value):
        return "\u2014"
    return f"{100 * value:.1f} %"


_ENV.filters["num"] = _number
_ENV.filters["pct"] = _percent


def figure_to_data_uri(figure: Figure, dpi: int = 110) -> str:
    """PNG of ``figure`` as a ``data:`` URI, so the page needs no other file."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return _ENV.get_template(template).render(**context)
