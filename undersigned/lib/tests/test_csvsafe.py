from __future__ import annotations

import pytest

from undersigned.lib.csvsafe import neutralise


@pytest.mark.parametrize("value", ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_become_text(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "", "1=1", "a-b", None, True])
def test_other_cells_are_unchanged(value: object) -> None:
    assert neutralise(value) == ("" if value is None else str(value))
