"""The sign form cleans its fields as Django's forms do: it only skips making a bound field for
each (SignForm._clean_fields), so what it accepts, cleans and refuses must not change."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from undersigned.conftest import make_partner, sign_data
from undersigned.organisations.models import Organisation
from undersigned.statements.forms import SignForm
from undersigned.statements.models import Statement

_TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "Ana García",
            "  Ana  ",
            "x" * 100,
            "x" * 101,
            "Ana\x00",
            "Ana\u202eevil",
            "\u200b",
            "=HYPERLINK()",
            "see example.com",
            "=?utf-8?q?x?=",
            "Sindicato Unido",
            "on",
            "true",
            "False",
            "0",
        ]
    ),
    st.text(max_size=12),
)
_EMAILS = st.one_of(
    st.sampled_from(
        [
            "ana@example.net",
            " Ana@Example.NET ",
            "not-an-email",
            "a@b",
            "a" * 250 + "@example.org",
            "ana@exämple.org",
            "ana@" + "ä" * 60 + ".org",
            "ana@example.org\r\nBcc: x@example.org",
            "",
        ]
    ),
    st.emails().map(str),
)
_CHOICES = st.sampled_from(
    [
        "",
        "individual",
        "organisation",
        "full",
        "initial",
        "hidden",
        "ES",
        "es",
        "XX",
        "on",
        "off",
        "true",
        "false",
        "1",
        "0",
        "-1",
        "abc",
    ]
)


_VALID = {
    "name": "Ana García",
    "email": "ana@example.net",
    "country": "ES",
    "postcode": "28001",
    "kind": "individual",
    "display": "initial",
    "consent": "on",
}


@st.composite
def _forms(draw: st.DrawFn, partner_ids: list[int]) -> dict[str, list[str]]:
    """A valid form with up to three of its fields changed, left out, or sent twice."""
    values: dict[str, st.SearchStrategy[str]] = {
        "name": _TEXTS,
        "email": _EMAILS,
        "country": _CHOICES,
        "postcode": _TEXTS,
        "kind": _CHOICES,
        "organisation_name": _TEXTS,
        "organisation_role": _TEXTS,
        "display": _CHOICES,
        "wants_updates": _CHOICES,
        "consent": _CHOICES,
        "partners": st.one_of(_CHOICES, *[st.just(str(pk)) for pk in partner_ids]),
    }
    form = {name: [value] for name, value in _VALID.items()}
    for name in draw(st.sets(st.sampled_from(sorted(values)), max_size=3)):
        # Absent, once, or twice (the last one counts for a single value).
        changed = draw(st.lists(values[name], max_size=2))
        if changed:
            form[name] = changed
        else:
            form.pop(name, None)
    return form


@pytest.fixture
def statements(organisation: Organisation, statement: Statement) -> list[Statement]:
    """The form's variations: every question, none, a required country, two partners."""
    statement.ask_postcode = True
    statement.require_country = True
    statement.save()
    make_partner(
        statement, Organisation.objects.create(name="Sindicato", slug="sindicato"), actor=None
    )
    make_partner(statement, Organisation.objects.create(name="Red", slug="red"), actor=None)
    bare = Statement.objects.create(
        organisation=organisation,
        slug="bare",
        status=Statement.Status.OPEN,
        ask_country=False,
        allow_organisations=False,
    )
    return [Statement.objects.get(pk=statement.pk), bare]


class _DjangosCleaning(SignForm):
    """The sign form, each field cleaned by Django's own Form._clean_fields."""

    _clean_fields = forms.Form._clean_fields


def _verdicts(post: MultiValueDict[str, str], statement: Statement) -> list[Any]:
    found = []
    for form_class in (SignForm, _DjangosCleaning):
        form = form_class(post, statement=statement)
        valid = form.is_valid()
        found.append((valid, form.cleaned_data, form.errors.get_json_data()))
    return found


@hypothesis_settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_sign_form_cleans_a_form_as_django_does(
    statements: list[Statement], data: st.DataObject
) -> None:
    statement = data.draw(st.sampled_from(statements))
    partner_ids = [partner.pk for partner in statement.partners.all()]
    post = MultiValueDict(data.draw(_forms(partner_ids)))
    ours, djangos = _verdicts(post, statement)
    assert ours == djangos
    event("valid" if ours[0] else "not valid")


@pytest.mark.parametrize(
    ("which", "overrides", "valid"),
    [
        (0, {"postcode": " 28001 ", "wants_updates": "on"}, True),
        (0, {"kind": "organisation", "organisation_name": "Sindicato Unido"}, True),
        (0, {"partners": "__partner__"}, True),
        (1, {"country": None, "organisation_name": "Dropped"}, True),
        (0, {"kind": "organisation"}, False),
        (0, {"kind": "organisation", "organisation_name": "see example.com"}, False),
        (0, {"name": "see example.com"}, False),
        (0, {"email": "a" * 250 + "@example.org"}, False),
        (0, {"country": None}, False),
    ],
)
def test_the_sign_form_on_chosen_forms(
    statements: list[Statement], which: int, overrides: dict[str, Any], valid: bool
) -> None:
    """The property above on forms chosen for each check, valid ones among them."""
    statement = statements[which]
    if overrides.get("partners") == "__partner__":
        overrides = {**overrides, "partners": str(statement.partners.first().pk)}  # type: ignore[union-attr]
    post = MultiValueDict(
        {key: [str(value)] for key, value in sign_data(statement, **overrides).items()}
    )
    ours, djangos = _verdicts(post, statement)
    assert ours == djangos
    assert ours[0] is valid
