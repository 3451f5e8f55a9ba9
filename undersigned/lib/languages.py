"""Language tags for statement versions: any BCP 47 tag, not only those Django translates."""

from __future__ import annotations

import locale
import re
import unicodedata
from collections.abc import Iterable
from typing import Protocol, TypeVar

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")

# Scripts written right to left, by primary language subtag.
_RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"})


def normalise_tag(tag: str) -> str | None:
    """Return the tag in canonical case (es-419, zh-Hant-TW, qu), or None if it is not one."""
    tag = tag.strip().replace("_", "-")
    if not _TAG.match(tag) or len(tag) > 35:
        return None
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


class _Versioned(Protocol):
    language: str


V = TypeVar("V", bound=_Versioned)


def version_in(versions: Iterable[V], language: str | None, default: str) -> V | None:
    """Of a text's language versions, the one in `language`, else the one in `default`, else
    any: a link keeps working after the version it names was deleted. None if there is none."""
    by_language = {version.language: version for version in versions}
    return (
        by_language.get(language or "")
        or by_language.get(default)
        or next(iter(by_language.values()), None)
    )


def direction(tag: str) -> str:
    """'rtl' or 'ltr' for the HTML dir attribute."""
    return "rtl" if tag.split("-")[0].lower() in _RTL else "ltr"


def ui_language(*tags: str) -> str:
    """The first of `tags` the interface is translated into, else the site's default language."""
    from django.conf import settings
    from django.utils.translation import get_supported_language_variant

    for tag in tags:
        try:
            return get_supported_language_variant(tag.lower())
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


# Languages of campaigns that Django has no name for, each in its own words.
_MORE_NAMES = {
    "am": "አማርኛ",
    "ay": "Aymar aru",
    "es-419": "español de América Latina",
    "gn": "Avañe'ẽ",
    "ha": "Hausa",
    "ht": "Kreyòl ayisyen",
    "ku": "Kurdî",
    "ln": "Lingála",
    "mi": "Māori",
    "nah": "Nāhuatl",
    "ps": "پښتو",
    "qu": "Runa Simi",
    "rw": "Ikinyarwanda",
    "so": "Soomaali",
    "ti": "ትግርኛ",
    "tl": "Tagalog",
    "wo": "Wolof",
    "xh": "isiXhosa",
    "yo": "Yorùbá",
    "zu": "isiZulu",
}


def own_name(tag: str) -> str | None:
    """The language's name in its own words ("Runa Simi" for qu), if known."""
    from django.conf.locale import LANG_INFO

    if tag in _MORE_NAMES:
        return _MORE_NAMES[tag]
    info = LANG_INFO.get(tag.lower(), {})
    name = info.get("name_local")
    # Composed (NFC), as HTML wants text: Django writes "Tiếng Việt" decomposed.
    return unicodedata.normalize("NFC", str(name)) if name else None


def language_name(tag: str) -> str:
    """'español (es)': the language's own name where known, always with its tag, as two
    versions may share a language (es and es-419)."""
    name = own_name(tag)
    return f"{name} ({tag})" if name else tag


def named_languages() -> list[tuple[str, str]]:
    """(tag, "Name (tag)") of every language known by name, by name: what a version's
    language is picked from (any other tag may still be typed)."""
    from django.conf.locale import LANG_INFO

    tags = {normalise_tag(code) for code, info in LANG_INFO.items() if "name_local" in info}
    tags |= set(_MORE_NAMES)
    named = [(tag, language_name(tag)) for tag in tags if tag]
    return sorted(named, key=lambda pair: pair[1].casefold())


# The region a language is most likely written in where its tag names none, for OpenGraph's
# og:locale (which wants ll_TT): CLDR's likely subtags (likelySubtags.json), so en is en_US and
# es is es_ES, for the languages of the statements here and the most spoken ones.
_LIKELY_REGION = {
    "af": "ZA", "am": "ET", "ar": "EG", "ay": "BO", "az": "AZ", "be": "BY", "bg": "BG",
    "bn": "BD", "bs": "BA", "ca": "ES", "ckb": "IQ", "cs": "CZ", "cy": "GB", "da": "DK",
    "de": "DE", "el": "GR", "en": "US", "es": "ES", "et": "EE", "eu": "ES", "fa": "IR",
    "fi": "FI", "fil": "PH", "fr": "FR", "ga": "IE", "gl": "ES", "gn": "PY", "gu": "IN",
    "ha": "NG", "he": "IL", "hi": "IN", "hr": "HR", "ht": "HT", "hu": "HU", "hy": "AM",
    "id": "ID", "ig": "NG", "is": "IS", "it": "IT", "ja": "JP", "ka": "GE", "kk": "KZ",
    "km": "KH", "kn": "IN", "ko": "KR", "ku": "TR", "ky": "KG", "ln": "CD", "lo": "LA",
    "lt": "LT", "lv": "LV", "mi": "NZ", "mk": "MK", "ml": "IN", "mn": "MN", "mr": "IN",
    "ms": "MY", "my": "MM", "nb": "NO", "ne": "NP", "nl": "NL", "nn": "NO", "no": "NO",
    "pa": "IN", "pl": "PL", "ps": "AF", "pt": "BR", "qu": "PE", "ro": "RO", "ru": "RU",
    "rw": "RW", "sd": "PK", "si": "LK", "sk": "SK", "sl": "SI", "so": "SO", "sq": "AL",
    "sr": "RS", "sv": "SE", "sw": "TZ", "ta": "IN", "te": "IN", "th": "TH", "ti": "ET",
    "tl": "PH", "tr": "TR", "ug": "CN", "uk": "UA", "ur": "PK", "uz": "UZ", "vi": "VN",
    "wo": "SN", "xh": "ZA", "yi": "US", "yo": "NG", "zh": "CN", "zu": "ZA",
}  # fmt: skip
# CLDR's likely region of a language written in a given script: zh-Hant is Taiwan's.
_LIKELY_SCRIPT_REGION = {
    ("zh", "Hant"): "TW", ("zh", "Hans"): "CN", ("sr", "Latn"): "RS", ("pa", "Arab"): "PK",
    ("az", "Arab"): "IR", ("uz", "Arab"): "AF", ("mn", "Mong"): "CN",
}  # fmt: skip
# Regions as UN M.49 numbers (es-419, Latin America) have no two-letter code. Facebook, which
# reads og:locale, names Latin American Spanish es_LA; for the others the likely region is used.
_NUMERIC_REGION = {("es", "419"): "LA"}


# Where languages the C library has no locale for are spoken (CLDR's locales): the Andes'.
_ALSO_SPOKEN = {
    "qu": frozenset({"PE", "BO", "EC"}),
    "ay": frozenset({"BO", "PE", "CL"}),
    "gn": frozenset({"PY", "BO", "AR"}),
}


def _spoken_in(language: str, country: str) -> bool:
    """Whether `language`_`country` is a locale people use: one the C library knows (es_PE,
    en_PH, not en_PE), one of _ALSO_SPOKEN, or the language's likely region."""
    country = country.upper()
    return (
        f"{language}_{country}".lower() in locale.locale_alias
        or country in _ALSO_SPOKEN.get(language, ())
        or _LIKELY_REGION.get(language, "") == country
    )


def og_locale(tag: str, country: str = "") -> str:
    """The language tag `tag` as OpenGraph's og:locale writes it, language_TERRITORY: es-PE is
    es_PE, zh-Hant-TW zh_TW. A tag without a region takes `country` (where the campaign is,
    as "PE") if given, else the language's likely region (es_ES, qu_PE, pt_BR); a language
    with none known is given alone."""
    parts = tag.split("-")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), "")
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), "")
    numeric = next((p for p in parts[1:] if len(p) == 3 and p.isdigit()), "")
    if not region and numeric:
        region = _NUMERIC_REGION.get((language, numeric), "")
    if not region and len(country) == 2 and country.isalpha() and _spoken_in(language, country):
        region = country.upper()
    if not region:
        region = _LIKELY_SCRIPT_REGION.get((language, script)) or _LIKELY_REGION.get(language, "")
    return f"{language}_{region}" if region else language
