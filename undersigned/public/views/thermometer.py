"""A fund's thermometer: its figures in one language, as the fund's page and its statement's
page show them (templates/funds/_thermometer.html), and the same as an image other sites can
show (SVG, or PNG for where SVG is not taken, such as emails).

Every figure comes from the cached totals (undersigned.funds.totals), as the signature count
does: a surge of readers, or a partner's busy page showing the image, never reaches the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_safe

from undersigned.funds import totals
from undersigned.funds.models import Contribution, Fund, FundVersion
from undersigned.lib import colours, money
from undersigned.lib import thermometer as drawing
from undersigned.lib.languages import direction, ui_language
from undersigned.lib.pagecache import public_cache
from undersigned.organisations.models import Organisation
from undersigned.public.views.cards import DEFAULT_ACCENT

# The images are shown on other sites' pages, each reader of which asks for them: kept this
# long by this process's page cache, and by readers' browsers.
IMAGE_SECONDS = 60
# PNGs kept per process, a few kilobytes each: a fund's languages, as its figures change.
_MAX_PICTURES = 200
# The SVG's size in CSS pixels; the PNG is drawn at twice it.
SVG_WIDTH, SVG_HEIGHT = drawing.WIDTH // 2, drawing.HEIGHT // 2
MARGIN = 20
HALF = SVG_WIDTH // 2


@dataclass(frozen=True)
class Figures:
    """A fund's thermometer in the words and numbers of one language."""

    fund_id: int
    language: str
    direction: str
    # Amounts as the language writes them: "£1,240", "1.240 £".
    received: str
    target: str
    # Confirmed pledges not yet received; empty without any.
    pledged: str
    # "24%", "24 %"
    percent: str
    # "£1,240 raised of £5,000"
    headline: str
    # "37 gifts", "3 pledges" (empty without any)
    gifts: str
    pledges: str
    # "12 days left", "Giving has closed", or empty for a fund with no end.
    days: str
    # The bar's two tones, in percent of its length, and where each starts (from the left,
    # whatever the direction: a right-to-left bar fills from the right).
    received_width: float
    pledged_width: float
    # How the money received came in, non-zero channels only: ("Cash", "£240").
    channels: tuple[tuple[str, str], ...]
    # Whether anything is received or pledged.
    has_money: bool
    # The legend of the bar's two tones: "Received £1,240", "Pledged, not yet received £300"
    # (empty without pledges).
    received_label: str
    pledged_label: str
    # "Includes gifts in USD, converted at the rate of 29 November 2026." (empty without any)
    converted: str = ""

    @property
    def received_x(self) -> float:
        return round(100 - self.received_width, 2) if self.direction == "rtl" else 0.0

    @property
    def pledged_x(self) -> float:
        if self.direction == "rtl":
            return round(100 - self.received_width - self.pledged_width, 2)
        return self.received_width

    @property
    def summary(self) -> str:
        """ "£1,240 raised of £5,000 · 24% · 37 gifts · 12 days left"."""
        parts = (self.headline, self.percent, self.gifts, self.days)
        return " · ".join(part for part in parts if part)

    @property
    def footer(self) -> str:
        """Under the images' bar: "37 gifts · 3 pledges · 12 days left"."""
        return " · ".join(part for part in (self.gifts, self.pledges, self.days) if part)

    @property
    def bar_label(self) -> str:
        """The bar in words, for those who do not see it."""
        return " · ".join(part for part in (self.received_label, self.pledged_label) if part)


def _days(fund: Fund) -> str:
    today = timezone.localdate()
    if fund.closed_at is not None or fund.is_over(today):
        return _("Giving has closed")
    if today < fund.starts_on:
        return _("Giving opens on %(date)s") % {"date": date_format(fund.starts_on, "DATE_FORMAT")}
    days = fund.days_left(today)
    if days is None:
        return ""
    return ngettext("%(days)s day left", "%(days)s days left", days) % {
        "days": number_format(days, force_grouping=True)
    }


def _channel_label(method: str) -> str:
    try:
        return str(capfirst(Contribution.Method(method).label))
    except ValueError:
        return method


def figures(fund: Fund, language: str) -> Figures:
    """The fund's thermometer in `language` (a version's tag: the amounts are written as its
    readers write them, the words in the interface language nearest it)."""
    found = totals.totals(fund)
    with translation.override(ui_language(language, fund.default_language)):

        def amount(minor: int) -> str:
            return money.format_money(minor, fund.currency, language)

        received_width, pledged_width = found.bar(fund.target)
        channels = [(_channel_label(way), amount(sum_)) for way, sum_ in found.by_channel if sum_]
        if found.pledged:
            channels.append((_("Pledged (not yet received)"), amount(found.pledged)))
        gifts = number_format(found.gifts, force_grouping=True)
        pledges = number_format(found.pledges, force_grouping=True)
        return Figures(
            fund_id=fund.pk,
            language=language,
            direction=direction(language),
            received=amount(found.received),
            target=amount(fund.target),
            pledged=amount(found.pledged) if found.pledged else "",
            percent=pgettext("a share", "%(percent)s%%")
            % {"percent": number_format(found.percent(fund.target), force_grouping=True)},
            headline=_("%(received)s raised of %(target)s")
            % {"received": amount(found.received), "target": amount(fund.target)},
            gifts=ngettext("%(count)s gift", "%(count)s gifts", found.gifts) % {"count": gifts},
            pledges=(
                ngettext("%(count)s pledge", "%(count)s pledges", found.pledges)
                % {"count": pledges}
                if found.pledges
                else ""
            ),
            days=_days(fund),
            received_width=received_width,
            pledged_width=pledged_width,
            channels=tuple(channels),
            has_money=bool(found.received or found.pledged),
            received_label=_("Received %(amount)s") % {"amount": amount(found.received)},
            pledged_label=(
                _("Pledged, not yet received %(amount)s") % {"amount": amount(found.pledged)}
                if found.pledged
                else ""
            ),
            converted=" ".join(
                _("Includes gifts in %(currency)s, converted at the rate of %(date)s.")
                % {"currency": currency, "date": date_format(day, "DATE_FORMAT")}
                for currency, day in found.converted
            ),
        )


def _image_fund(pk: str) -> Fund:
    """A published fund (an image may be shown anywhere: a draft's is nobody's); else 404."""
    fund = (
        Fund.objects.published()
        .select_related("organisation")
        .prefetch_related("versions")
        .filter(pk=pk)
        .first()
    )
    if fund is None:
        raise Http404
    return fund


def _image_version(request: HttpRequest, fund: Fund) -> FundVersion:
    """The version `?language=` names, else the fund's default one (the address is the same
    for every reader, so the reader's browser's language plays no part). A language the fund
    has no version in is a 404: each address stored by the page cache is a real version."""
    asked = request.GET.get("language")
    if asked:
        version = next(
            (v for v in fund.versions.all() if v.language.lower() == asked.lower()), None
        )
    else:
        version = fund.version_for(fund.default_language)
    if version is None:
        raise Http404
    return version


def accent(organisation: Organisation) -> str:
    """The organisation's accent colour where it stands out on white, else the site's."""
    colour = colours.normalise(organisation.accent_colour or "")
    if colour is None or colours.contrast_ratio(colour, colours.WHITE) < colours.MINIMUM_CONTRAST:
        return DEFAULT_ACCENT
    return colour


def _tint(colour: str, share_of_white: float) -> str:
    """`colour` lightened toward white: the hatched tone's ground."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * share_of_white):02x}" for c in channels)


def _for_other_sites(response: HttpResponse) -> HttpResponse:
    """Other sites' pages may show it (an <img>): browsers refuse a resource to another origin
    unless it says so."""
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
@public_cache(IMAGE_SECONDS)
def thermometer_svg(request: HttpRequest, pk: str) -> HttpResponse:
    """The thermometer as SVG, for an <img> on a partner's site: nothing loaded from anywhere,
    the system's fonts, its figures in its accessible name."""
    fund = _image_fund(pk)
    version = _image_version(request, fund)
    shown = figures(fund, version.language)
    colour = accent(fund.organisation)
    rtl = shown.direction == "rtl"

    def at(x: float) -> float:
        """`x` from the start edge, in the SVG's coordinates."""
        return SVG_WIDTH - x if rtl else x

    response = render(
        request,
        "funds/thermometer.svg",
        {
            "figures": shown,
            "title": Truncator(version.title).chars(60),
            "colour": colour,
            "tint": _tint(colour, 0.75),
            "width": SVG_WIDTH,
            "height": SVG_HEIGHT,
            "rtl": rtl,
            "text_x": at(MARGIN),
            # The legend: a swatch, then its words; the second half way along.
            "swatches": (at(MARGIN + 14) if rtl else MARGIN, at(HALF + 14) if rtl else HALF),
            "labels": (at(MARGIN + 20), at(HALF + 20)),
        },
        content_type="image/svg+xml; charset=utf-8",
    )
    return _for_other_sites(response)


# A picture's PNG, as last drawn: equal pictures are drawn once.
_drawn: dict[drawing.Picture, bytes] = {}


def picture_png(picture: drawing.Picture) -> bytes:
    png = _drawn.get(picture)
    if png is None:
        png = drawing.draw(picture)
        if len(_drawn) >= _MAX_PICTURES:
            _drawn.clear()
        _drawn[picture] = png
    return png


def forget_pictures() -> None:
    """Drop this process's PNGs (for tests)."""
    _drawn.clear()


@require_safe
@public_cache(IMAGE_SECONDS)
def thermometer_png(request: HttpRequest, pk: str) -> HttpResponse:
    """The thermometer as a PNG, drawn once for each state of its figures."""
    fund = _image_fund(pk)
    version = _image_version(request, fund)
    shown = figures(fund, version.language)
    picture = drawing.Picture(
        title=version.title,
        headline=f"{shown.headline} · {shown.percent}",
        received=shown.received_label,
        pledged=shown.pledged_label,
        footer=shown.footer,
        received_width=shown.received_width,
        pledged_width=shown.pledged_width,
        colour=accent(fund.organisation),
        language=version.language,
        direction=shown.direction,
    )
    return _for_other_sites(HttpResponse(picture_png(picture), content_type="image/png"))
