from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from undersigned.organisations.models import Membership


@pytest.mark.django_db
def test_the_demo_organiser_is_an_owner_who_needs_no_admin(settings: Any) -> None:
    settings.DEMO_MODE = True
    call_command("load_demo")
    user = User.objects.get(username="organiser")
    assert not user.is_superuser and not user.is_staff
    assert Membership.objects.get(user=user).role == Membership.Role.OWNER
    client = Client()
    client.force_login(user)
    assert client.get("/dashboard/s/free-the-valmora-students/").status_code == 200
    assert client.get("/admin/").status_code == 403
