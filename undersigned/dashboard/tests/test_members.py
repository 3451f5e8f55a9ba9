"""Organisations, members and invitations in the dashboard: the invitation's round trip by
real email, the last-owner rules, the audit trail and isolation between organisations."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import time
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from undersigned.abuse import quota
from undersigned.accounts.models import TwoFactor
from undersigned.audit.models import AuditLog
from undersigned.conftest import PASSWORD, SmtpSink, _client_for, sign_data, text_body
from undersigned.jobs.models import Job
from undersigned.jobs.queue import drain
from undersigned.lib import totp
from undersigned.lib.tests.test_forms import assert_errors_are_tied_to_their_fields
from undersigned.lib.tokens import hash_token
from undersigned.organisations import actions
from undersigned.organisations.models import Invitation, Membership, Organisation
from undersigned.statements.models import Statement

PAGE = "/dashboard/o/red-estudiantil/"
NEW_PASSWORD = "Correct-horse-battery-9"


def _invite(
    client: Client, email: str = "new.person@example.org", role: str = "editor", **kwargs: Any
) -> Any:
    return client.post(f"{PAGE}invite/", {"email": email, "role": role}, **kwargs)


def _told(response: Any) -> tuple[Any, list[str]]:
    """Where an answer led, and what it said."""
    return response.redirect_chain, [str(m) for m in response.context["messages"]]


def _link_in(sink: SmtpSink) -> str:
    found = re.search(r"https?://\S+/dashboard/invitation/[-\w]+/", text_body(sink.messages[-1]))
    assert found, text_body(sink.messages[-1])
    return found.group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_an_invitation_goes_by_email_and_its_link_makes_an_account_and_a_member(
    organiser_client: Client, smtp_server: SmtpSink, organisation: Organisation
) -> None:
    assert _invite(organiser_client, "New.Person@Example.org").status_code == 302
    job = Job.objects.get(kind="mail.invitation")
    assert drain() == 1
    message = smtp_server.messages[-1]
    assert message["To"] == "new.person@example.org"
    assert "Red Estudiantil" in message["Subject"]
    link = _link_in(smtp_server)
    assert job.payload["token"] in link
    invitation = Invitation.objects.get()
    # Only the hash is kept; the job with the token itself is gone once sent.
    assert invitation.token_hash == hash_token(job.payload["token"])
    assert not Job.objects.exists()

    visitor = Client()
    page = visitor.get(_path(link))
    assert page.status_code == 200
    assert "new.person@example.org" in page.content.decode()
    joined = visitor.post(_path(link), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert joined.status_code == 302
    assert joined["Location"] == PAGE
    user = User.objects.get(username="new.person@example.org")
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role) == (organisation, "editor")
    assert visitor.get(PAGE).status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.email == ""
    actions_logged = set(AuditLog.objects.values_list("action", flat=True))
    assert {"invitation.sent", "invitation.accepted"} <= actions_logged
    # Used once: the same link now opens the neutral page.
    again = Client().get(_path(link))
    assert again.status_code == 404
    assert b"does not work" in again.content


def test_a_new_account_needs_a_password_the_validators_accept(
    organiser_client: Client, smtp_server: SmtpSink
) -> None:
    _invite(organiser_client)
    drain()
    link = _path(_link_in(smtp_server))
    page = Client().post(link, {"password1": "new.person", "password2": "new.person"})
    assert page.status_code == 200
    assert page.context["form"].errors["password1"]
    assert not User.objects.filter(username="new.person@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


def test_someone_logged_in_accepts_with_one_post(
    organiser_client: Client, outsider_client: Client, outsider: User, smtp_server: SmtpSink
) -> None:
    _invite(organiser_client, "someone.else@example.org", "viewer")
    drain()
    link = _path(_link_in(smtp_server))
    page = outsider_client.get(link)
    assert page.status_code == 200
    assert page.context["form"] is None
    assert outsider_client.post(link).status_code == 302
    assert Membership.objects.get(user=outsider, organisation__slug="red-estudiantil").role == (
        "viewer"
    )
    # Their own organisation is still theirs: one person, several organisations.
    home = outsider_client.get("/dashboard/").content.decode()
    assert "Red Estudiantil" in home and "Other" in home


def test_an_address_with_an_account_is_asked_to_log_in_first(
    organiser_client: Client, outsider: User, smtp_server: SmtpSink
) -> None:
    outsider.username = "taken@example.org"
    outsider.save()
    _invite(organiser_client, "taken@example.org")
    drain()
    link = _path(_link_in(smtp_server))
    visitor = Client()
    assert "Log in to accept" in visitor.get(link).content.decode()
    # Whoever has the link and posts a password gets the same page again, and nothing else:
    # not the account, not its membership, not a new password for it.
    response = visitor.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Log in to accept" in response.content.decode()
    assert "_auth_user_id" not in visitor.session
    assert not Membership.objects.filter(user=outsider, organisation__slug="red-estudiantil")
    assert User.objects.filter(username__iexact="taken@example.org").count() == 1
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD) and not outsider.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("state", ["unknown", "expired", "revoked", "malformed"])
def test_links_that_do_not_work_get_a_neutral_page(
    organiser: User, organisation: Organisation, state: str
) -> None:
    invitation = actions.invite(organisation, organiser, "a@example.org", "editor", "en")
    token = Job.objects.get().payload["token"]
    if state == "unknown":
        token = "x" * 32
    elif state == "expired":
        invitation.expires_at = timezone.now() - dt.timedelta(seconds=1)
        invitation.save()
    elif state == "revoked":
        actions.revoke_invitation(invitation, organiser)
    elif state == "malformed":
        token = "%00" + token
    for client in (Client(), Client()):
        response = client.get(f"/dashboard/invitation/{token}/")
        assert response.status_code == 404
        response = client.post(
            f"/dashboard/invitation/{token}/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        assert response.status_code == 404
    assert not User.objects.filter(username="a@example.org").exists()


def test_a_revoked_invitation_sends_no_email(
    organiser_client: Client, smtp_server: SmtpSink
) -> None:
    _invite(organiser_client)
    invitation = Invitation.objects.get()
    response = organiser_client.post(f"{PAGE}invitations/revoke/", {"pk": invitation.pk})
    assert response.status_code == 302
    drain()
    assert smtp_server.messages == []
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and invitation.email == ""
    assert AuditLog.objects.filter(action="invitation.revoked", object_id=invitation.pk).exists()


def test_one_pending_invitation_per_address_and_organisation(
    organiser_client: Client, organiser: User, organisation: Organisation
) -> None:
    _invite(organiser_client)
    page = _invite(organiser_client, "NEW.person@example.org")
    assert page.status_code == 200
    assert "has an invitation waiting already" in page.context["invite_form"].errors["email"][0]
    assert Invitation.objects.count() == 1
    assert Job.objects.count() == 1
    # Once expired, a new one replaces it.
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _invite(organiser_client)
    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().usable()


def test_members_are_not_invited_again(organiser_client: Client, member: User) -> None:
    page = _invite(organiser_client, member.email)
    assert page.status_code == 200
    assert "is a member already" in page.context["invite_form"].errors["email"][0]
    assert not Invitation.objects.exists()


def test_an_organisation_sends_at_most_its_days_invitations(
    organiser_client: Client,
    outsider_client: Client,
    organiser: User,
    organisation: Organisation,
    settings: Any,
) -> None:
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for n in range(3):
            assert _invite(organiser_client, f"p{n}@example.org")["Location"] == PAGE
        # Revoked, it was sent all the same.
        actions.revoke_invitation(Invitation.objects.get(email="p0@example.org"), organiser)
        page = _invite(organiser_client, "p3@example.org", "viewer")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Red Estudiantil has sent 3 invitations in the last 24 hours" in text
        assert "The invitation was not sent" in text
        # Nothing sent, nothing lost: what was typed is still in the form.
        assert 'value="p3@example.org"' in text
        assert '<option value="viewer" selected>' in text
        assert Invitation.objects.count() == Job.objects.count() == 3
        assert not AuditLog.objects.filter(action="invitation.sent", data__role="viewer")
        # Another organisation has a count of its own.
        other = outsider_client.post(
            "/dashboard/o/other/invite/", {"email": "p3@example.org", "role": "editor"}
        )
        assert other["Location"] == "/dashboard/o/other/"
        traveller.move_to(start + dt.timedelta(hours=24, seconds=1))
        # Logged in afresh: the session would have ended meanwhile.
        assert _invite(_client_for(organiser), "p3@example.org")["Location"] == PAGE
    assert Invitation.objects.filter(organisation=organisation).count() == 4


def test_invitations_count_against_the_addresss_daily_email_cap(
    midday: dt.datetime,
    organiser_client: Client,
    organiser: User,
    organisation: Organisation,
    statement: Statement,
    settings: Any,
) -> None:
    """Revoking and inviting again, or inviting from several organisations, mails the same
    address at most EMAILS_PER_ADDRESS_PER_DAY times a day, sign forms included; and whoever
    invites is told nothing of it: past the cap the answer is the same, with no email."""
    settings.EMAILS_PER_ADDRESS_PER_DAY = 3
    Client().post("/s/free-them/en/sign/", sign_data(email="target@example.net"))
    assert Job.objects.filter(kind="mail.confirm_signature").count() == 1
    for _ in range(2):
        assert _invite(organiser_client, "Target@Example.net")["Location"] == PAGE
        actions.revoke_invitation(Invitation.objects.get(email="target@example.net"), organiser)
    # An expired invitation waits to be replaced: it must outlive a refusal.
    expired = Invitation.objects.create(
        organisation=organisation,
        email="target@example.net",
        role="editor",
        token_hash="x" * 64,
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    organiser_client.get(PAGE)  # shows, and so clears, the messages of the invitations above
    capped = _invite(organiser_client, "target@example.net", follow=True)
    assert Job.objects.filter(kind="mail.invitation").count() == 2
    # Another address is not held back, and the answer to both is the same.
    fresh = _invite(organiser_client, "someone.else@example.net", follow=True)
    assert Job.objects.filter(kind="mail.invitation").count() == 3
    assert _told(capped) == _told(fresh) == ([(PAGE, 302)], ["The invitation is on its way."])
    # The invitation not emailed waits as any other (an owner can revoke it); it replaced
    # the expired one.
    assert not Invitation.objects.filter(pk=expired.pk).exists()
    waiting = Invitation.objects.get(email="target@example.net", revoked_at=None)
    actions.revoke_invitation(waiting, organiser)
    # And the sign forms see the cap the invitations used: signing again sends nothing today;
    # its link waits for the next day.
    Client().post("/s/free-them/en/sign/", sign_data(email="target@example.net"))
    again = Job.objects.filter(kind="mail.confirm_signature").latest("pk")
    assert Job.objects.filter(kind="mail.confirm_signature").count() == 2
    assert (again.payload["deferred"], again.run_after) == (True, quota.next_day())
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert _invite(_client_for(organiser), "target@example.net")["Location"] == PAGE
    assert Job.objects.filter(kind="mail.invitation").count() == 4


def test_a_bad_invitation_form_is_shown_again_with_its_errors(organiser_client: Client) -> None:
    page = _invite(organiser_client, "not an address", "emperor")
    assert page.status_code == 200
    form = page.context["invite_form"]
    assert set(form.errors) == {"email", "role"}
    assert_errors_are_tied_to_their_fields(page.content.decode(), form)
    assert not Invitation.objects.exists()


def test_invitations_expire_after_seven_days(organiser: User, organisation: Organisation) -> None:
    invitation = actions.invite(organisation, organiser, "a@example.org", "editor", "en")
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        dt.timedelta(days=7), abs=dt.timedelta(seconds=5)
    )


def test_the_last_owner_cannot_leave_be_demoted_or_removed(
    organiser_client: Client, organiser: User, member: User
) -> None:
    own = Membership.objects.get(user=organiser)
    organiser_client.post(f"{PAGE}leave/")
    organiser_client.post(f"{PAGE}members/role/", {"membership": own.pk, "role": "editor"})
    organiser_client.post(f"{PAGE}members/remove/", {"pk": own.pk})
    own.refresh_from_db()
    assert own.role == "owner"
    with pytest.raises(actions.LastOwner):
        actions.leave(own)


def test_with_two_owners_one_can_step_down_and_the_other_then_cannot(
    organiser_client: Client, organiser: User, member: User, member_client: Client
) -> None:
    theirs = Membership.objects.get(user=member)
    organiser_client.post(f"{PAGE}members/role/", {"membership": theirs.pk, "role": "owner"})
    theirs.refresh_from_db()
    assert theirs.role == "owner"
    assert AuditLog.objects.filter(
        action="member.role_changed", object_id=member.pk, data__after="owner"
    ).exists()
    assert organiser_client.post(f"{PAGE}leave/")["Location"] == "/dashboard/"
    assert not Membership.objects.filter(user=organiser).exists()
    assert AuditLog.objects.filter(action="member.left", actor=organiser).exists()
    member_client.post(f"{PAGE}leave/")
    assert Membership.objects.filter(user=member).exists()


def test_an_owner_changes_roles_and_removes_members(
    organiser_client: Client, member: User, viewer: User
) -> None:
    editor = Membership.objects.get(user=member)
    organiser_client.post(f"{PAGE}members/role/", {"membership": editor.pk, "role": "viewer"})
    editor.refresh_from_db()
    assert editor.role == "viewer"
    organiser_client.post(f"{PAGE}members/remove/", {"pk": editor.pk})
    assert not Membership.objects.filter(user=member).exists()
    row = AuditLog.objects.get(action="member.removed")
    assert row.object_id == member.pk
    assert "member@example.com" not in str(row.data)


def test_an_editor_leaves(member_client: Client, member: User) -> None:
    assert member_client.post(f"{PAGE}leave/").status_code == 302
    assert not Membership.objects.filter(user=member).exists()
    assert member_client.get(PAGE).status_code == 404


def test_the_page_shows_members_and_roles_to_members_and_invitations_to_owners(
    organiser_client: Client, viewer_client: Client, member: User
) -> None:
    _invite(organiser_client, "pending@example.org")
    owners_view = organiser_client.get(PAGE).content.decode()
    assert "member" in owners_view and "pending@example.org" in owners_view
    viewers_view = viewer_client.get(PAGE).content.decode()
    assert "member" in viewers_view and "editor" in viewers_view
    assert "pending@example.org" not in viewers_view
    assert "Send the invitation" not in viewers_view


def test_an_owner_of_another_organisation_can_neither_invite_nor_touch_its_members(
    outsider_client: Client, outsider: User, member: User
) -> None:
    assert _invite(outsider_client).status_code == 404
    assert not Invitation.objects.exists()
    # Their own organisation's forms, pointed at a member of this one, change nothing.
    editor = Membership.objects.get(user=member)
    own = "/dashboard/o/other/"
    outsider_client.post(f"{own}members/role/", {"membership": editor.pk, "role": "viewer"})
    outsider_client.post(f"{own}members/remove/", {"pk": editor.pk})
    editor.refresh_from_db()
    assert editor.role == "editor"
    assert "Red Estudiantil" not in outsider_client.get(own).content.decode()


def test_an_owner_cannot_revoke_another_organisations_invitation(
    outsider_client: Client, organiser: User, organisation: Organisation
) -> None:
    invitation = actions.invite(organisation, organiser, "a@example.org", "editor", "en")
    outsider_client.post("/dashboard/o/other/invitations/revoke/", {"pk": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.usable()


def test_anyone_logged_in_creates_an_organisation_and_owns_it(
    viewer_client: Client, viewer: User, organisation: Organisation
) -> None:
    response = viewer_client.post(
        "/dashboard/organisations/new/", {"name": "Red Estudiantil", "website": "example.org"}
    )
    created = Organisation.objects.exclude(pk=organisation.pk).get()
    assert response["Location"] == f"/dashboard/o/{created.slug}/"
    assert created.slug == "red-estudiantil-2"
    assert created.website == "https://example.org"
    assert Membership.objects.get(user=viewer, organisation=created).role == "owner"
    assert AuditLog.objects.filter(action="organisation.created", object_id=created.pk).exists()


def test_a_name_with_a_web_address_is_refused(viewer_client: Client) -> None:
    page = viewer_client.post("/dashboard/organisations/new/", {"name": "Visit www.spam.example"})
    assert page.status_code == 200
    assert page.context["form"].errors["name"]


def _image(kind: str, size: tuple[int, int] = (20, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, kind)
    return out.getvalue()


def _save_logo(client: Client, upload: SimpleUploadedFile) -> Any:
    return client.post(
        PAGE, {"name": "Red Estudiantil", "website": "", "logo": upload}, follow=False
    )


def test_an_owner_uploads_a_logo_under_a_name_of_the_sites_own(
    organiser_client: Client, organisation: Organisation, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("../evil name.png", _image("PNG"), content_type="image/svg+xml")
    assert _save_logo(organiser_client, upload).status_code == 302
    organisation.refresh_from_db()
    assert re.fullmatch(r"logos/[0-9a-f]{16}\.png", organisation.logo.name)
    assert AuditLog.objects.filter(action="organisation.changed", data__fields=["logo"]).exists()
    assert organisation.logo.url.encode() in organiser_client.get(PAGE).content


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg"),
        (b"not an image at all", "a.png"),
        (_image("BMP"), "a.bmp"),
        (_image("PNG", (5000, 5000)), "huge.png"),
        (_image("PNG") + b"\0" * (1024 * 1024), "heavy.png"),
    ],
)
def test_logos_that_are_not_small_raster_images_are_refused(
    organiser_client: Client,
    organisation: Organisation,
    settings: Any,
    tmp_path: Any,
    content: bytes,
    name: str,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    page = _save_logo(organiser_client, SimpleUploadedFile(name, content))
    assert page.status_code == 200
    assert page.context["form"].errors["logo"]
    organisation.refresh_from_db()
    assert not organisation.logo


def test_editors_cannot_change_the_organisation(
    member_client: Client, organisation: Organisation
) -> None:
    assert member_client.post(PAGE, {"name": "Taken over"}).status_code == 403
    organisation.refresh_from_db()
    assert organisation.name == "Red Estudiantil"


@pytest.mark.django_db(transaction=True)
def test_the_organisations_limit_holds_for_invitations_sent_at_once(
    organiser: User, organisation: Organisation, settings: Any
) -> None:
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 3
    start = threading.Barrier(8)
    refused: list[BaseException] = []

    def invite(n: int) -> None:
        try:
            start.wait()
            actions.invite(organisation, organiser, f"p{n}@example.org", "editor", "en")
        except actions.TooManyInvitations as error:
            refused.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=invite, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 5
    assert Invitation.objects.count() == Job.objects.count() == 3


def _enrol(client: Client) -> Any:
    """Set up two-factor authentication on the security page, as the person would with their
    app; returns the page with the recovery codes and the secret."""
    page = client.get("/accounts/security/")
    assert page.status_code == 200
    assert "requires two-factor authentication" in page.content.decode()
    found = re.search(r"secret=([A-Z2-7]+)", page.content.decode())
    assert found
    secret = found.group(1)
    done = client.post(
        "/accounts/security/", {"action": "enable", "code": totp.code_at(secret, time.time())}
    )
    assert done.status_code == 200
    assert "Recovery codes" in done.content.decode()
    return done, secret


def _done_link(page: Any) -> str:
    found = re.search(r'<a href="([^"]+)">Done</a>', page.content.decode())
    assert found
    return found.group(1)


def test_with_two_factor_required_an_invitee_makes_an_account_sets_up_a_code_then_gets_in(
    organiser_client: Client, smtp_server: SmtpSink, statement: Statement, settings: Any
) -> None:
    settings.TWO_FACTOR_REQUIRED = True
    _invite(organiser_client)
    drain()
    link = _path(_link_in(smtp_server))
    visitor = Client()
    assert visitor.get(link).status_code == 200
    joined = visitor.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert joined["Location"] == PAGE
    user = User.objects.get(username="new.person@example.org")
    assert Membership.objects.get(user=user).role == "editor"
    # Nothing of the dashboard before a second factor is set up.
    for page in ("/dashboard/", "/dashboard/s/free-them/", PAGE):
        assert visitor.get(page)["Location"] == "/accounts/security/"
    # What the browser fetches by itself meanwhile is not where they were going.
    visitor.get("/favicon.ico", headers={"Sec-Fetch-Mode": "no-cors"})
    done, secret = _enrol(visitor)
    assert TwoFactor.objects.filter(user=user).exists()
    # The recovery codes page leads on to where they were last going: their organisation.
    assert _done_link(done) == PAGE
    assert "Red Estudiantil" in visitor.get(PAGE).content.decode()
    assert "Free them" in visitor.get("/dashboard/").content.decode()
    assert visitor.get("/dashboard/s/free-them/").status_code == 200

    # Next time, logging in asks for the password and then a code.
    visitor.post("/accounts/logout/")
    again = Client()
    step = again.post(
        "/accounts/login/",
        {"username": "new.person@example.org", "password": NEW_PASSWORD, "next": PAGE},
    )
    assert step["Location"] == "/accounts/two-factor/"
    assert again.get(PAGE).status_code == 302
    # The next step's code: the one used to enrol works only once.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        code = totp.code_at(secret, time.time())
        assert again.post("/accounts/two-factor/", {"code": code})["Location"] == PAGE
        assert again.get(PAGE).status_code == 200


def test_with_two_factor_required_someone_with_an_account_accepts_after_setting_it_up(
    organiser_client: Client, outsider: User, smtp_server: SmtpSink, settings: Any
) -> None:
    """Logged in but not yet with a second factor, the invitation's link sends them to set it
    up, then back to the invitation."""
    settings.TWO_FACTOR_REQUIRED = True
    _invite(organiser_client, "someone.else@example.org", "viewer")
    drain()
    link = _path(_link_in(smtp_server))
    client = Client()
    client.force_login(outsider)
    assert client.get(link)["Location"] == "/accounts/security/"
    done, _secret = _enrol(client)
    assert _done_link(done) == link
    assert client.post(link)["Location"] == PAGE
    assert Membership.objects.get(user=outsider, organisation__slug="red-estudiantil").role == (
        "viewer"
    )
    assert client.get(PAGE).status_code == 200
