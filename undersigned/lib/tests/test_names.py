"""A name as "first name and initial": the given names whole, the first surname's initial."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from undersigned.lib.names import initialled, split


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        # Compound given names, common in Peru and across the Spanish-speaking world.
        ("María José Quispe", "María José Q."),
        ("Juan Carlos Mamani Quispe", "Juan Carlos M."),
        ("María del Carmen Quispe Huamán", "María del Carmen Q."),
        ("María de los Ángeles Mamani", "María de los Ángeles M."),
        ("Mary Ann Smith", "Mary Ann S."),
        # A second word that is as often a surname is taken for one: less shown, never more.
        ("Jaime Paz Zamora", "Jaime P."),
        ("Rodrigo Rosa Pereira", "Rodrigo R."),
        ("José Manuel Mateo", "José M."),
        # Two surnames: only the first one's initial, the second would narrow it down.
        ("Ana García López", "Ana G."),
        ("Ana García", "Ana G."),
        # A particle is not the surname's initial.
        ("Ana de la Cruz", "Ana C."),
        ("Ludwig van Beethoven", "Ludwig B."),
        # Accents kept, written either way (composed or decomposed), and a lower-case surname.
        ("María Inés Ñahui", "María Inés Ñ."),
        ("Mari\u0301a Ine\u0301s N\u0303ahui", "Mari\u0301a Ine\u0301s Ñ."),
        ("ana garcía", "ana G."),
        # Two words are always a given name and a surname, even two given names.
        ("María José", "María J."),
        # One word, or spaces around: as typed.
        ("Mei", "Mei"),
        ("  Mei   Lin ", "Mei L."),
    ],
)
def test_the_initial_is_the_first_surnames(name: str, shown: str) -> None:
    assert initialled(name) == shown


@given(st.lists(st.text(min_size=1).filter(lambda w: not any(c.isspace() for c in w)), min_size=2))
def test_it_never_shows_more_than_one_surname_initial_and_never_fails(words: list[str]) -> None:
    shown = initialled(" ".join(words))
    assert shown.endswith(".")
    # Whole words are only ever the name's first ones, in order.
    kept = shown.rsplit(" ", 1)[0].split(" ")
    assert kept == words[: len(kept)]
    assert len(kept) < len(words)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("María José Quispe Mamani", ("María José", "Quispe Mamani")),
        ("Ana García López", ("Ana", "García López")),
        ("María del Carmen Quispe", ("María del Carmen", "Quispe")),
        ("Ana de la Cruz", ("Ana", "de la Cruz")),
        ("Cher", ("Cher", "")),
        ("  ", ("", "")),
    ],
)
def test_a_name_splits_where_the_initial_rule_sees_the_surname_begin(
    name: str, parts: tuple[str, str]
) -> None:
    assert split(name) == parts
