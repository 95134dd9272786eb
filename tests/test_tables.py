"""gobig.report.plotting.table: the HTML every table of the book is made of. How the
tables look in a browser is measured in tests/test_book.py; this checks the
markup those measurements rely on."""

import math
import re

import pandas as pd
import pytest

from gobig.report import plotting

pytestmark = pytest.mark.unit


def html(frame, formats=None, name="t", **options):
    return plotting.table(frame, formats, name=name, **options).data


def cells(markup: str, column: int) -> list[str]:
    return re.findall(rf'<td id="T_\w+_row\d+_col{column}" class="data row\d+ col{column}" >(.*?)</td>', markup)


def test_the_table_keeps_its_id_and_sits_in_the_scroll_box():
    markup = html(pd.DataFrame({"a": [1]}), name="claims")
    assert 'id="T_claims"' in markup and 'class="gobig-table"' in markup
    assert markup.startswith('<div class="gobig-table-wrap"') and markup.rstrip().endswith("</div>")
    assert html(pd.DataFrame({"a": [1]}), name="claims") == markup, "stored outputs must be byte-stable (nbval)"


def test_cells_are_padded_and_numbers_right_aligned_without_wrapping():
    frame = pd.DataFrame({"model": ["MNIST", "GPT-3"], "n": [6e4, 4.99e11], "d": [784, 1]})
    markup = html(frame, {"n": "{:.3g}"}, name="arithmetic")
    assert re.search(r"#T_arithmetic th \{[^}]*padding: 0\.3em 0\.5em", markup)
    assert re.search(r"#T_arithmetic\s+td \{[^}]*padding: 0\.3em 0\.5em", markup)
    for column in (1, 2):  # n and d: numbers
        assert re.search(rf"#T_arithmetic td\.col{column} \{{[^}}]*text-align: right;[^}}]*white-space: nowrap", markup)
    assert not re.search(r"#T_arithmetic td\.col0 \{[^}]*text-align: right", markup)
    assert cells(markup, 1) == ["6e+04", "4.99e+11"], "the caller's format wins"


def test_unformatted_floats_get_readable_formats():
    frame = pd.DataFrame({"whole": [687800.0, 13514.0], "large": [4.99e11, 1.0], "small": [0.123456789, math.inf]})
    markup = html(frame)
    assert cells(markup, 0) == ["687,800", "13,514"]
    assert cells(markup, 1) == ["4.99e+11", "1"], "pandas' default would print 499000000000.000000"
    assert cells(markup, 2) == ["0.1235", "inf"]


def test_long_text_wraps_short_labels_do_not_and_text_is_escaped():
    frame = pd.DataFrame(
        {"split": ["random-0", "temporal"], "why": ["x" * 60, "p < n & d > 1"], "near_duplicate_share": ["a", "b"]}
    )
    markup = html(frame, name="claims")
    assert re.search(r"#T_claims td\.col0 \{[^}]*white-space: nowrap", markup), (
        "a label such as random-0 must not break"
    )
    assert re.search(r"#T_claims td\.col1 \{[^}]*min-width: 10em;[^}]*overflow-wrap: anywhere", markup)
    assert "p &lt; n &amp; d &gt; 1" in markup
    assert ">near_<wbr>duplicate_<wbr>share</th>" in markup, "long headers may wrap after an underscore"


def test_the_book_registers_the_stylesheet_with_the_scroll_cue():
    import yaml

    from gobig.core import paths

    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert "_static" in config["html_static_path"]
    for name in config["html_css_files"]:
        assert (paths.ROOT / "_static" / name).is_file()
    css = "".join((paths.ROOT / "_static" / name).read_text() for name in config["html_css_files"])
    wrap = re.search(r"\.gobig-table-wrap \{([^}]*)\}", css).group(1)
    assert "overflow-x: auto" in wrap and "gradient" in wrap, "the scroll box must scroll and show its shadow"


# ---- tables for people: table(columns=...) ----


def test_headers_in_words_one_precision_per_column_and_intervals_in_the_cell():
    frame = pd.DataFrame(
        {
            "split": ["random-0", "temporal"],
            "near_duplicate_share": [16.7, 0.0],
            "low": [8.3, 0.0],
            "high": [28.5, 6.0],
            "ratio": [2.0, 2.01],
            "valid": [60, 60],
        }
    )
    columns = {
        "split": "split",
        "near_duplicate_share": plotting.Column("near duplicates (%)", interval=("low", "high")),
        "ratio": "speed-up (times)",
        "valid": plotting.Column("validation problems", essential=False),
    }
    markup = html(frame, name="splits", columns=columns)
    assert ">near duplicates (%)</th>" in markup and "near_duplicate_share" not in markup
    assert cells(markup, 1) == ["16.7 [8.3, 28.5]", "0.0 [0.0, 6.0]"], "a number and its interval share a cell"
    assert cells(markup, 2) == ["2.00", "2.01"], "one precision per column: not 2 next to 2.01"
    main, more = markup.split("<details", 1)
    assert "validation problems" not in main, "a column that is not essential is not in the first table"
    assert 'id="T_splits-more"' in more and ">validation problems</th>" in more and ">split</th>" in more
    assert html(frame, name="splits", columns=columns) == markup, "stored outputs must be byte-stable (nbval)"


def test_the_folded_table_repeats_the_columns_that_identify_a_row():
    frame = pd.DataFrame({"task": ["a", "a"], "setting": ["zero", "few"], "kind": ["x", "y"], "n": [1, 2]})
    columns = {
        "task": "task",
        "setting": plotting.Column("setting", repeated=True),
        "kind": "kind",
        "n": plotting.Column("examples", essential=False),
    }
    more = html(frame, name="t", columns=columns).split("<details", 1)[1]
    assert re.findall(r"<th[^>]*>([^<]*)</th>", more) == ["task", "setting", "examples"]


def test_column_precision_follows_the_values():
    assert plotting.column_decimals(pd.Series([13514.0, 687800.0])) == 0
    assert plotting.column_decimals(pd.Series([0.5, 2.0, 2.01])) == 2
    assert plotting.column_decimals(pd.Series([16.7, 28.5])) == 1
    assert plotting.column_decimals(pd.Series([1.0, 4.99e11])) is None, "magnitudes over decades: significant digits"


def test_full_width_and_unknown_columns():
    frame = pd.DataFrame({"a": [1.5], "b": ["x"]})
    assert 'class="gobig-table-wrap full-width"' in html(frame, name="wide", columns={"a": "a (s)"}, full_width=True)
    with pytest.raises(ValueError, match=r"columns \['c'\] are not in the frame"):
        html(frame, name="t", columns={"c": "c"})
