"""Form errors tied to their fields for screen readers (undersigned.lib.forms), on the public
sign form and the dashboard's forms, whichever template lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django import forms
from django.test import Client

from undersigned.conftest import sign_data
from undersigned.lib.forms import BoundField
from undersigned.statements.models import Statement

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
_CONTROLS = {"input", "select", "textarea"}


@dataclass
class Page(HTMLParser):
    """Every element's id with the text inside it, and every form control's attributes."""

    texts: dict[str, list[str]] = field(default_factory=dict)
    repeated: list[str] = field(default_factory=list)
    controls: list[dict[str, str]] = field(default_factory=list)
    _open: list[tuple[str, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        ident = values.get("id")
        if ident is not None:
            if ident in self.texts:
                self.repeated.append(ident)
            self.texts.setdefault(ident, [])
        if tag in _CONTROLS:
            self.controls.append(values)
        if tag not in _VOID:
            self._open.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, ident in self._open:
            if ident is not None:
                self.texts[ident].append(data)

    def text(self, ident: str) -> str:
        return " ".join("".join(self.texts[ident]).split())


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_errors_are_tied_to_their_fields(html: str, form: forms.BaseForm) -> None:
    """Each control of a field with errors is marked invalid and described by an element, found
    once on the page, that holds all the field's messages (and by its help text, if any)."""
    page = _parse(html)
    assert not page.repeated, f"ids used more than once: {page.repeated}"
    fields = [name for name in form.errors if name != "__all__"]
    assert fields, "the form shows no field error to check"
    for name in fields:
        bound = form[name]
        # The form's own controls: a page may show other forms with fields of the same name.
        controls = [
            c
            for c in page.controls
            if c.get("name") == bound.html_name
            and c.get("id", "").removeprefix(bound.auto_id) in ("", *(f"_{n}" for n in range(99)))
        ]
        assert controls, name
        for control in controls:
            assert control.get("aria-invalid") == "true", (name, control)
            described = control.get("aria-describedby", "").split()
            assert described, (name, control)
            for ident in described:
                assert ident in page.texts, (name, ident)
            text = " ".join(page.text(ident) for ident in described)
            for message in form.errors[name]:
                assert " ".join(str(message).split()) in text, (name, message)
            if bound.help_text:
                assert f"{bound.auto_id}_helptext" in described, name


def test_the_sign_forms_fields_groups_and_checkbox_point_at_their_errors(
    client: Client, statement: Statement
) -> None:
    data = sign_data(name="", email="not-an-address", kind="nobody", display="shouting")
    data.pop("consent")
    response = client.post("/s/free-them/en/sign/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert {"name", "email", "kind", "display", "consent"} <= set(form.errors)
    assert_errors_are_tied_to_their_fields(response.content.decode(), form)


def test_a_dashboard_form_with_help_texts_points_at_both(
    member_client: Client, statement: Statement
) -> None:
    """The statement settings, laid out by dashboard/statements/_field.html."""
    response = member_client.post(
        "/dashboard/s/free-them/settings/", {"goal": "-1", "default_language": ""}
    )
    form = response.context["form"]
    assert {"goal", "default_language"} <= set(form.errors)
    assert_errors_are_tied_to_their_fields(response.content.decode(), form)


def test_the_new_source_form_points_at_its_error_and_help(
    member_client: Client, statement: Statement
) -> None:
    """Laid out by statements/_field.html, as the sign form is."""
    response = member_client.post("/dashboard/s/free-them/sources/", {"code": "Has Spaces"})
    assert response.status_code == 400
    assert_errors_are_tied_to_their_fields(response.content.decode(), response.context["form"])


def test_a_form_laid_out_by_as_p_has_its_radio_groups_described_too(
    member_client: Client, statement: Statement
) -> None:
    """The paper entry form: Django's as_p, whose radio groups have no fieldset."""
    response = member_client.post(
        "/dashboard/s/free-them/signatures/paper/", {"name": "", "kind": "x", "display": "y"}
    )
    form = response.context["form"]
    assert {"name", "kind", "display"} <= set(form.errors)
    assert_errors_are_tied_to_their_fields(response.content.decode(), form)


class _Described(forms.Form):
    code = forms.CharField(
        help_text="Six digits.", widget=forms.TextInput(attrs={"aria-describedby": "hint"})
    )
    choice = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    secret = forms.CharField(widget=forms.HiddenInput)


@pytest.mark.parametrize("bound", [True, False])
def test_a_widgets_own_description_is_kept_and_hidden_fields_get_none(bound: bool) -> None:
    form = _Described({} if bound else None)
    assert isinstance(form["code"], BoundField)
    code, choice, secret = form["code"], form["choice"], form["secret"]
    if bound:
        assert code.aria_describedby == "hint id_code_helptext id_code_error"
        assert 'aria-describedby="id_choice_error"' in str(choice)
        assert "aria-describedby" not in str(secret)
    else:
        assert code.aria_describedby == "hint id_code_helptext"
        assert "aria-describedby" not in str(choice)
