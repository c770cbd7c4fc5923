"""Render Jinja2 templates (autoescaped) into one self-contained HTML page."""

from __future__ import annotations

import base64
import io

import jinja2
from matplotlib.figure import Figure

from toolkit.devices import REPRODUCIBILITY

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


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def column_decimals(values, significant: int = 4, most: int = 6) -> int:
    """Decimals that give a column's largest magnitude ``significant`` significant digits, so
    every number of the column is written with the same number of decimals (13.10 beside
    13.09, never 13.1). Missing values are ignored; ``most`` caps the decimals."""
    import math

    finite = [abs(float(v)) for v in values if not _missing(v) and isinstance(v, (int, float)) and math.isfinite(v)]
    largest = max(finite, default=0.0)
    if largest == 0:
        return min(2, most)
    return int(min(most, max(0, significant - 1 - math.floor(math.log10(largest)))))


def _fixed(value, decimals: int = 2) -> str:
    """A number with exactly ``decimals`` decimals and thousands separators; a dash for nan/None."""
    if _missing(value):
        return "\u2014"
    return f"{value:,.{decimals}f}"


def _words(value) -> str:
    """A configuration value in words: lists joined, None as "not set", booleans as yes/no."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_words(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_words(v)}" for k, v in value.items()) if value else "none"
    return str(value)


_ENV.filters["num"] = _number
_ENV.filters["pct"] = _percent
_ENV.filters["fixed"] = _fixed
_ENV.filters["words"] = _words
_ENV.globals["column_decimals"] = column_decimals
_ENV.globals["reproducibility"] = REPRODUCIBILITY


def figure_to_data_uri(figure: Figure, dpi: int = 110) -> str:
    """PNG of ``figure`` as a ``data:`` URI, so the page needs no other file."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return _ENV.get_template(template).render(**context)
