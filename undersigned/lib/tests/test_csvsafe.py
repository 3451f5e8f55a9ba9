from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from undersigned.lib.csvsafe import FORMULA_START, formula_like, neutralise


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+33 1",
        "-2",
        "@SUM(A1)",
        "\tx",
        "\rx",
        # After what a spreadsheet may skip first: spaces, quotes.
        " =1+1",
        '"=1+1"',
        "'=1+1",
        "  '\"@x",
        " \t",
        # Full-width forms.
        "\uff1d1+1",
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
    ],
)
def test_formula_like_cells_become_text(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["Ana", "", "1=1", "a-b", None, True, " Ana", "'Ana'", "x=1", "\u2212" + "2", "   "]
)
def test_other_cells_are_unchanged(value: object) -> None:
    assert neutralise(value) == ("" if value is None else str(value))


@settings(max_examples=300, deadline=None)
@given(
    st.text()
    | st.builds(
        lambda a, b: a + b,
        st.sampled_from(["=", " +", '"-', "'@", "\t", "\r", "\uff1d", "  '\""]),
        st.text(),
    )
)
def test_a_neutralised_cell_never_starts_a_formula(value: str) -> None:
    cell = neutralise(value)
    assert not cell.startswith(FORMULA_START)
    # Either untouched, or marked as text with one quote and otherwise unchanged.
    assert cell == value or cell == "'" + value
    assert (cell != value) == formula_like(value)
