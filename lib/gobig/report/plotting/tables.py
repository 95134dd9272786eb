"""Tables as the book shows them: ``table(frame, name=...)``, HTML with a
fixed id (so stored outputs stay byte-stable for nbval), numbers
right-aligned and unwrapped, prose wrapped, in a box that scrolls sideways
on narrow screens."""

from __future__ import annotations

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


def table(frame: pd.DataFrame, formats: dict | None = None, name: str = "table"):
    """A DataFrame as HTML with a fixed element id, so stored notebook
    outputs are byte-stable (nbval compares them) and pages are tidy.

    Numbers are right-aligned and never wrap (a wrapped "4.7e+07" reads as
    two numbers); long text columns wrap. The table sits in a
    ``gobig-table-wrap`` box that scrolls sideways when the page is narrower
    than the table (a phone), with a shadow on the hidden side as the cue."""
    import html

    from IPython.display import HTML

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
