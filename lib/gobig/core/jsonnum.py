"""Numbers in JSON records: JSON has no inf or NaN, so records store them
as strings and null (``json_number``) and tables read them back
(``from_json_number``)."""

from __future__ import annotations

import math


def json_number(value) -> float | str | None:
    """Records hold plain JSON: +inf is stored as the string ``"inf"`` (an
    unreachable target), -inf as ``"-inf"``, NaN as ``None``."""
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def from_json_number(value) -> float:
    """Inverse of ``json_number``: ``"inf"`` -> inf, ``None`` -> NaN."""
    return math.nan if value is None else float(value)  # float("inf") is inf
