from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from undersigned.organisations.models import Membership
from undersigned.pictures.models import Picture
from undersigned.statements.models import Signature, Statement
from undersigned.updates.models import Notice, UpdateVersion


@pytest.mark.django_db
def test_the_demo_organiser_is_an_owner_who_needs_no_admin(settings: Any, tmp_path: Path) -> None:
    settings.DEMO_MODE = True
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo")
    user = User.objects.get(username="organiser")
    assert not user.is_superuser and not user.is_staff
    assert Membership.objects.get(user=user).role == Membership.Role.OWNER
    client = Client()
    client.force_login(user)
    assert client.get("/dashboard/s/free-the-valmora-students/").status_code == 200
    assert client.get("/admin/").status_code == 403


@pytest.mark.django_db
def test_the_demo_is_a_campaign_with_history_pictures_and_news(
    settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo")
    call_command("load_demo")  # a second run adds nothing
    statement = Statement.objects.get(slug="free-the-valmora-students")
    confirmed = Signature.objects.counted().filter(statement=statement)
    assert 300 <= confirmed.count() <= 700
    days = Counter(s.created_at.date() for s in confirmed)
    assert len(days) >= 20  # three weeks
    busiest, *rest = sorted(days.values(), reverse=True)
    assert busiest > 5 * rest[len(rest) // 2]  # one surge day, far above a usual day
    assert statement.cover is not None and statement.cover.alt
    assert statement.organisation.logo and statement.organisation.accent_colour
    assert Notice.objects.filter(statement=statement).count() == 1
    update = UpdateVersion.objects.get(update__statement=statement, language="en")
    assert "/media/pictures/" in update.body
    assert Picture.objects.count() == 4
    assert Signature.objects.filter(statement=statement, logo__isnull=False).count() == 2
    page = Client().get("/s/free-the-valmora-students/en/").content.decode()
    assert '<figure class="cover">' in page and "Emergency demonstration" in page
    assert page.count('<ul class="orgs logos">') == 1 and page.count('width="64" height="64"') == 2
