from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from undersigned.comments.demo import load_demo_comments
from undersigned.events.demo import load_demo_events
from undersigned.funds.demo import load_demo_fund
from undersigned.organisations.models import Membership
from undersigned.statements.demo import load_demo
from undersigned.updates.demo import load_demo_news


class Command(BaseCommand):
    help = (
        "Load the demo organisation and its bilingual statement, with signatures over three "
        "weeks, pictures, an announcement, an update, two events, a fighting fund and "
        "comments (safe to run again)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        statement = load_demo()
        load_demo_news(statement)
        load_demo_events(statement)
        load_demo_fund(statement)
        load_demo_comments(statement)
        self.stdout.write(f"Demo statement: {settings.SITE_URL}/s/{statement.slug}/")
        if settings.DEMO_MODE:
            # A known login is only acceptable on a demo that runs on one's own machine. An
            # owner, as organisers are: the dashboard is all they need; the admin is not theirs.
            user_model = get_user_model()
            user, created = user_model.objects.get_or_create(username="organiser")
            if created:
                user.set_password("demo-organiser")
                user.save(update_fields=("password",))
            Membership.objects.get_or_create(
                organisation=statement.organisation,
                user=user,
                defaults={"role": Membership.Role.OWNER},
            )
            self.stdout.write(
                "Demo organiser login: organiser / demo-organiser "
                f"at {settings.SITE_URL}/dashboard/s/{statement.slug}/"
            )
