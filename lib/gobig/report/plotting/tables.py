"""Tables as the book shows them: ``table(frame, name=...)``, HTML with a
fixed id (so stored outputs stay byte-stable for nbval), numbers
right-aligned and unwrapped, prose wrapped, in a box that scrolls sideways
on narrow screens.

Tables for people (``columns=``): each shown column is a ``Column`` with its
header in words and its unit, its precision (one per column, chosen from
the values unless given), a number and its interval in one cell, and
whether it is essential; the columns that are not sit in a second table
folded under the first, so the essential ones fit a 1400 px window without
scrolling. ``full_width=True`` lets a wide table use the page's margin
(the theme's ``full-width`` class).

    table(frame, name="splits", columns={
        "split": "split",
        "near_duplicate_share": Column("near duplicates (%)", interval=("near_duplicate_low", "near_duplicate_high")),
        "valid": Column("validation problems", essential=False),
    })
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A text column whose longest value is longer than this wraps as prose;
#: one no longer than LABEL_CHARACTERS holds labels, which never wrap
#: ("random-0" broken after its hyphen reads as two cells).
PROSE_CHARACTERS = 40


LABEL_CHARACTERS = 20


#: Padding and alignment travel with the table (its own <style> block, scoped
#: to its id), so it reads cleanly wherever the HTML is shown: the book, a
#: notebook, a papermill output. The book's _static/gobig.css adds the rest
#: (font size, rules, the scroll cue of .gobig-table-wrap).
TABLE_STYLES = [
    {"selector": "", "props": "border-collapse: collapse;"},
    {"selector": "th, td", "props": "padding: 0.3em 0.5em; vertical-align: top; text-align: left;"},
]


NUMBER_STYLES = "text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;"


# Long words (module paths, file names) may break so the column stays narrow.
PROSE_STYLES = "min-width: 10em; overflow-wrap: anywhere;"


def default_formats(frame: pd.DataFrame) -> dict:
    """Readable formats for float columns the caller did not format: pandas'
    default prints 4.99e11 as 499000000000.000000. Whole numbers below 10^7
    get thousands separators, the rest four significant digits."""
    formats = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        finite = values[np.isfinite(values)]
        whole = len(finite) > 0 and bool((finite == finite.round()).all()) and bool((finite.abs() < 1e7).all())
        formats[column] = "{:,.0f}" if whole else "{:.4g}"
    return formats


def table(
    frame: pd.DataFrame,
    formats: dict | None = None,
    name: str = "table",
    *,
    columns: dict | None = None,
    full_width: bool = False,
    caption: str | None = None,
):
    """A DataFrame as HTML with a fixed element id, so stored notebook
    outputs are byte-stable (nbval compares them) and pages are tidy.

    Numbers are right-aligned and never wrap (a wrapped "4.7e+07" reads as
    two numbers); long text columns wrap. The table sits in a
    ``gobig-table-wrap`` box that scrolls sideways when the page is narrower
    than the table (a phone), with a shadow on the hidden side as the cue.

    ``columns`` (frame column -> ``Column`` or a header string) shows only
    those columns, in that order, under headers in words, each number column
    at one precision, intervals in their value's cell, and the columns not
    ``essential`` in a second table folded below (``formats`` is then
    unused: a Column's ``digits`` or ``fmt`` says it). ``full_width`` lets
    the table use the page's margin; ``caption`` titles it."""
    import html

    from IPython.display import HTML

    if columns is not None:
        return _people_table(frame, name, columns, full_width, caption)
    if full_width or caption:
        columns = {c: Column(str(c), fmt=(formats or {}).get(c)) for c in frame.columns}
        return _people_table(frame, name, columns, full_width, caption)

    formats = {**default_formats(frame), **(formats or {})}
    numbers = [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    longest = {c: frame[c].astype(str).str.len().max() if len(frame) else 0 for c in frame.columns}
    prose = [c for c in frame.columns if c not in numbers and longest[c] > PROSE_CHARACTERS]
    labels = [c for c in frame.columns if c not in numbers and longest[c] <= LABEL_CHARACTERS]
    column_styles = {
        **{
            c: [{"selector": "td", "props": NUMBER_STYLES}, {"selector": "th", "props": "text-align: right;"}]
            for c in numbers
        },
        **{c: [{"selector": "td", "props": PROSE_STYLES}] for c in prose},
        **{c: [{"selector": "td", "props": "white-space: nowrap;"}] for c in labels},
    }
    styler = (
        frame.style.format(formats, na_rep="–", escape="html")
        .hide(axis="index")
        .set_uuid(name)
        # Headers such as near_duplicate_share may wrap after an underscore.
        .format_index(lambda label: html.escape(str(label)).replace("_", "_<wbr>"), axis=1)
        .set_table_attributes('class="gobig-table"')
        .set_table_styles(TABLE_STYLES)
    )
    if column_styles:
        styler = styler.set_table_styles(column_styles, overwrite=False)
    # A focusable, labelled region: keyboard users can scroll it too.
    return HTML(
        f'<div class="gobig-table-wrap" role="region" aria-label="table {name}" tabindex="0">\n{styler.to_html()}</div>'
    )


@dataclass(frozen=True)
class Column:
    """How ``table(columns=...)`` shows one column of the frame."""

    #: The header in words, with the unit in parentheses: "near duplicates (%)".
    header: str
    #: Decimals of a number column; None chooses them from the column's values (``column_decimals``).
    digits: int | None = None
    #: Columns holding the lower and upper bound, shown in the cell as "12.3 [10.1, 14.5]".
    interval: tuple[str, str] | None = None
    #: A format of its own ("{:.2f}x", "{:.0%}", or a function), for value and bounds; it overrides ``digits``.
    fmt: object = None
    #: False: shown in the folded second table, not the first.
    essential: bool = True
    #: An essential column the folded table repeats after the first, so its rows can
    #: be told apart there (the setting beside a benchmark named three times).
    repeated: bool = False


def column_decimals(values: pd.Series) -> int | None:
    """One precision for a whole number column: whole numbers get none;
    otherwise enough decimals for three significant digits of its typical
    (median) magnitude, at most four. None when the magnitudes span more than
    four decades or reach 10^7 (then three significant digits each)."""
    finite = pd.to_numeric(values, errors="coerce")
    finite = finite[np.isfinite(finite)]
    if finite.empty:
        return 0
    magnitudes = finite.abs()[finite != 0]
    if (finite == finite.round()).all() and (finite.abs() < 1e7).all():
        return 0
    if magnitudes.empty:
        return 0
    if magnitudes.max() >= 1e7 or magnitudes.max() / magnitudes.min() > 1e4:
        return None
    typical = float(magnitudes.median())
    return int(min(4, max(0, 2 - math.floor(math.log10(typical)))))


def _number(value, decimals: int | None, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if callable(fmt):
        return fmt(value)
    if fmt:
        return fmt.format(value)
    if decimals is None:
        return f"{value:.3g}"
    return f"{value:,.{decimals}f}"


def _shown(frame: pd.DataFrame, columns: dict) -> tuple[pd.DataFrame, list[str], dict[str, Column]]:
    """The frame as text cells under the headers in words; the headers of
    number columns; the Column of each header."""
    specs = {name: spec if isinstance(spec, Column) else Column(str(spec)) for name, spec in columns.items()}
    unknown = [
        name for spec_name, spec in specs.items() for name in (spec_name, *(spec.interval or ())) if name not in frame
    ]
    if unknown:
        raise ValueError(f"table: columns {unknown} are not in the frame; it has {list(frame.columns)}")
    shown, numbers = {}, []
    for name, spec in specs.items():
        values = frame[name]
        if values.dtype == object and (spec.fmt is not None or spec.digits is not None):
            # A number column with gaps (None) arrives as objects: the caller's precision says it holds numbers.
            values = pd.to_numeric(values, errors="coerce")
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers.append(spec.header)
            decimals = spec.digits if spec.digits is not None else column_decimals(values)
            if spec.interval:
                low, high = (frame[bound] for bound in spec.interval)
                shown[spec.header] = [
                    _number(v, decimals, spec.fmt)
                    + (
                        ""
                        if pd.isna(lo) or pd.isna(hi)
                        else f" [{_number(lo, decimals, spec.fmt)}, {_number(hi, decimals, spec.fmt)}]"
                    )
                    for v, lo, hi in zip(values, low, high)
                ]
            else:
                shown[spec.header] = [_number(v, decimals, spec.fmt) for v in values]
        else:
            shown[spec.header] = ["–" if pd.isna(v) else str(v) for v in values]
    return pd.DataFrame(shown, index=frame.index), numbers, {spec.header: spec for spec in specs.values()}


def _styled(frame: pd.DataFrame, name: str, numbers: list[str], caption: str | None) -> str:
    """One table's HTML: text cells escaped, numbers right-aligned and unwrapped, prose wrapped."""
    import html

    numbers = [c for c in numbers if c in frame.columns]
    longest = {c: frame[c].astype(str).str.len().max() if len(frame) else 0 for c in frame.columns}
    prose = [c for c in frame.columns if c not in numbers and longest[c] > PROSE_CHARACTERS]
    labels = [c for c in frame.columns if c not in numbers and longest[c] <= LABEL_CHARACTERS]
    column_styles = {
        **{
            c: [{"selector": "td", "props": NUMBER_STYLES}, {"selector": "th", "props": "text-align: right;"}]
            for c in numbers
        },
        **{c: [{"selector": "td", "props": PROSE_STYLES}] for c in prose},
        **{c: [{"selector": "td", "props": "white-space: nowrap;"}] for c in labels},
    }
    styler = (
        frame.style.format(escape="html", na_rep="–")
        .hide(axis="index")
        .set_uuid(name)
        .format_index(lambda label: html.escape(str(label)), axis=1)
        .set_table_attributes('class="gobig-table"')
        .set_table_styles(TABLE_STYLES)
    )
    if caption:
        styler = styler.set_caption(html.escape(caption))
    if column_styles:
        styler = styler.set_table_styles(column_styles, overwrite=False)
    return styler.to_html()


def _people_table(frame: pd.DataFrame, name: str, columns: dict, full_width: bool, caption: str | None):
    from IPython.display import HTML

    shown, numbers, specs = _shown(frame, columns)
    essential = [header for header, spec in specs.items() if spec.essential]
    folded = [header for header, spec in specs.items() if not spec.essential]
    if not essential:
        raise ValueError(f"table {name}: no column is essential; mark at least one Column(essential=True)")
    width = " full-width" if full_width else ""
    parts = [
        f'<div class="gobig-table-wrap{width}" role="region" aria-label="table {name}" tabindex="0">\n'
        f"{_styled(shown[essential], name, numbers, caption)}</div>"
    ]
    if folded:
        # The second table repeats the first column (and those marked repeated), so each row can be found again.
        keys = [essential[0], *(header for header in essential[1:] if specs[header].repeated)]
        more = shown[[*keys, *folded]]
        parts.append(
            f'<details class="gobig-more-columns"><summary>{len(folded)} more column{"s" if len(folded) > 1 else ""}: '
            f"{', '.join(folded)}</summary>\n"
            f'<div class="gobig-table-wrap{width}" role="region" aria-label="table {name}, more columns" tabindex="0">\n'
            f"{_styled(more, f'{name}-more', numbers, None)}</div></details>"
        )
    return HTML("\n".join(parts))
