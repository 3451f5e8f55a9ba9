"""One rule for every name a person types (lib.forms.NameField): signers', organisations',
partners', roles, whom a statement addresses. Names are shown on public pages, put in emails
and exported to spreadsheets; a form that took one past the rule would put a formula or a link
there. The forms are found by walking the code, so a new form with a name is checked too."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from undersigned.lib.forms import NameField
from undersigned.organisations.models import Organisation
from undersigned.statements.models import Statement

ROOT = Path(__file__).resolve().parent.parent

# A field whose value is a name: `name`, `<something>_name`, `<something>_role`, `addressed_to`
# (not `username`, a login, nor a choice of role: neither is free text).
_NAME = re.compile(r"(?:^|_)(?:name|role)$|^addressed_to$")
# The sign form's organisation fields apply the same rule (lib.text.publishable) only when
# signing for an organisation: for an individual they are hidden and dropped, and an error
# there is one nobody could see (statements.forms.SignForm._organisation_detail).
_ONLY_FOR_ORGANISATIONS = {
    ("SignForm", "organisation_name"),
    ("SignForm", "organisation_role"),
    ("PaperForm", "organisation_name"),
    ("PaperForm", "organisation_role"),
}


def _forms_of_the_site() -> list[type[forms.BaseForm]]:
    for path in sorted(ROOT.glob("**/*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if {"tests", "migrations"} & set(parts) or parts[-1] in {"conftest", "wsgi"}:
            continue
        importlib.import_module(".".join(parts))
    found: list[type[forms.BaseForm]] = []
    pending: list[type[forms.BaseForm]] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("undersigned.") and ".tests." not in cls.__module__:
            found.append(cls)
    return found


def test_every_name_field_of_every_form_follows_the_one_rule() -> None:
    checked, wrong = [], []
    for form in _forms_of_the_site():
        for name, field in form.base_fields.items():
            if not _NAME.search(name) or not isinstance(field, forms.CharField):
                continue
            checked.append((form.__name__, name))
            if not isinstance(field, NameField) and (form.__name__, name) not in (
                _ONLY_FOR_ORGANISATIONS
            ):
                wrong.append(f"{form.__module__}.{form.__name__}.{name}")
    assert wrong == []
    # The walk finds the forms it is meant to: signers', organisations', partners'.
    assert {
        ("SignForm", "name"),
        ("OrganisationForm", "name"),
        ("NewOrganisationForm", "name"),
        ("PartnerForm", "name"),
        ("SettingsForm", "addressed_to"),
        ("StatementForm", "addressed_to"),
    } <= set(checked)


BAD_NAMES = [
    '=HYPERLINK("https://evil.example/","Click")',
    "+1 Friends",
    "@SUM(A1)",
    "Visit evil.example.com",
    "https://evil.example/",
    "www.evil.example",
    "write to boss@evil.com",
    "=?utf-8?q?Ana?=",
]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_name_field_refuses_a_formula_or_an_address_and_says_why(bad: str) -> None:
    field = NameField(max_length=200)
    with pytest.raises(forms.ValidationError):
        field.clean(bad)
    assert field.clean("  Sindicato\u202e Unido \n") == "Sindicato Unido"


@pytest.mark.parametrize("bad", BAD_NAMES[:2])
def test_the_admins_forms_follow_the_rule(db: None, bad: str, statement: Statement) -> None:
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root", "root@example.com", "x")
    organisation_form = admin.site._registry[Organisation].get_form(request)
    form = organisation_form(data={"name": bad, "slug": "x"})
    assert not form.is_valid() and "name" in form.errors
    statement_form = admin.site._registry[Statement].get_form(request, statement)
    assert isinstance(statement_form.base_fields["addressed_to"], NameField)
