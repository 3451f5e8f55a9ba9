from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from undersigned.lib.colours import WHITE, contrast_ratio, normalise, relative_luminance

colours = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06x}")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("#A3122B", "#a3122b"), (" #a3122b ", "#a3122b"), ("#000000", "#000000")],
)
def test_six_hex_digits_after_a_hash_are_kept_in_lower_case(typed: str, kept: str) -> None:
    assert normalise(typed) == kept


@pytest.mark.parametrize("typed", ["", "a3122b", "#a31", "#a3122", "#a3122bb", "#g3122b", "red"])
def test_anything_else_is_refused(typed: str) -> None:
    assert normalise(typed) is None


def test_black_and_white_are_the_ends_of_the_scale() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21)


@pytest.mark.parametrize(
    ("colour", "ratio"),
    # Figures from WebAIM's contrast checker.
    [("#767676", 4.54), ("#777777", 4.48), ("#0000ff", 8.59), ("#ff0000", 4.0)],
)
def test_ratios_against_white_match_the_wcag_formula(colour: str, ratio: float) -> None:
    assert contrast_ratio(colour, WHITE) == pytest.approx(ratio, abs=0.01)


@given(colours, colours)
def test_the_ratio_is_symmetric_and_between_1_and_21(first: str, second: str) -> None:
    ratio = contrast_ratio(first, second)
    assert ratio == pytest.approx(contrast_ratio(second, first))
    assert 1 <= ratio <= 21 + 1e-9
