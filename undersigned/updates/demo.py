"""The demo campaign's news: an announcement on its page and an update with a picture."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from undersigned.pictures.actions import store_picture
from undersigned.statements import demo_pictures
from undersigned.statements.models import Statement
from undersigned.updates.models import Notice, Update, UpdateVersion

NOTICE = "Emergency demonstration on Saturday at 3 pm, Plaza Mayor of Valmora."
UPDATE_TITLES = {"en": "A vigil outside the Ministry", "es": "Una vigilia ante el Ministerio"}


@transaction.atomic
def load_demo_news(statement: Statement) -> None:
    """Idempotent, as the rest of the demo."""
    now = timezone.now()
    Notice.objects.get_or_create(
        statement=statement,
        text=NOTICE,
        defaults={"link": "https://example.org/", "link_text": "Details"},
    )
    if UpdateVersion.objects.filter(
        update__statement=statement, title=UPDATE_TITLES["en"]
    ).exists():
        return
    picture = store_picture(
        statement.organisation,
        demo_pictures.vigil(),
        alt="A drawing of people holding candles at night in front of a building with columns.",
        credit="Drawing: the demo of Undersigned",
    )
    update = Update.objects.create(statement=statement, published_at=now - dt.timedelta(days=5))
    UpdateVersion.objects.create(
        update=update,
        language="en",
        title=UPDATE_TITLES["en"],
        body=(
            "Last night more than three hundred people held candles outside the Ministry of "
            "the Interior, one for each day the students have been held.\n\n"
            f"{picture.markdown}\n\n"
            "The families read the names of all forty-one. **Sign, and share the statement** "
            "before Saturday's demonstration."
        ),
    )
    UpdateVersion.objects.create(
        update=update,
        language="es",
        title=UPDATE_TITLES["es"],
        body=(
            "Anoche más de trescientas personas sostuvieron velas ante el Ministerio del "
            "Interior, una por cada día que los estudiantes llevan detenidos.\n\n"
            f"![Un dibujo de personas con velas de noche ante un edificio con columnas.]"
            f'({picture.url} "Dibujo: la demo de Undersigned")\n\n'
            "Las familias leyeron los nombres de los cuarenta y uno. **Firma y comparte la "
            "declaración** antes de la manifestación del sábado."
        ),
    )
