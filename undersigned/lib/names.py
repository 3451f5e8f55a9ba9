"""A signer's name as "first name and initial": the given names in full, the surname's initial.

A name is one field (people write their names in too many ways for two), so where the given
names end is guessed: the first word, and the words after it that are common second given
names ("María José", "Juan Carlos", "Mary Ann"), or such a name after a particle ("María del
Carmen"), as long as one word is left for the surname. The initial is that of the first word
of the surname that is not a particle ("Ana de la Cruz" is "Ana C."), and only the first
surname's: "Ana García López" is "Ana G.", not a second surname that would narrow it down.
The sign form shows the result before anyone signs (site.js applies the same rule, with the
lists below, which the form carries), so a signer whose name the rule gets wrong sees it.
"""

from __future__ import annotations

import unicodedata

# Common second given names (Spanish, Portuguese, English, French), without accents and in
# lower case: only names that are hardly ever a surname. A surname taken for a given name would
# be shown in full ("Jaime Paz Zamora" must stay "Jaime P."), so names that are also common
# surnames somewhere (Paz, Rosa, Cruz, Martín, Vicente, Mateo, Manuel, Antonio, Miguel, Paul,
# James, Rose, Grace...) are left out: for them the rule shows less, never more.
SECOND_GIVEN_NAMES = frozenset(
    """
    alejandra alejandro alicia amparo ana andrea angeles beatriz belen camila carla carlos
    carmen carolina catalina cecilia claudia consuelo cristina dolores eduarda eduardo elena
    elisa elizabeth esperanza esther eugenia fabiola fernanda gabriela guadalupe ignacio ines
    inmaculada isabel javier jimena jorge jose josefa juan julia laura lourdes lucia luis
    luisa luz manuela marcela mariana maria mario mercedes milagros montserrat natalia pablo
    patricia paula pilar raquel rocio sebastian sergio socorro sofia soledad teresa valentina
    veronica virginia joao anne ann jane louise kate beth mae marie pierre jacques francois
    """.split()
)

# Words that join a name's parts rather than being one: skipped for the initial.
PARTICLES = frozenset(
    "de del la las los da das do dos di du van von der den ter te y e bin ibn al el le".split()
)


def _plain(word: str) -> str:
    """A word in lower case without accents, as the lists above are written."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _initial(word: str) -> str:
    """The word's first letter as written, with its accents (a decomposed "Á" is two code
    points): "Ángel" gives "Á"."""
    first = word[0]
    for c in word[1:]:
        if not unicodedata.combining(c):
            break
        first += c
    return unicodedata.normalize("NFC", first.upper() if first.islower() else first)


def split(name: str) -> tuple[str, str]:
    """(given names, surnames) as guessed above: 'María José Quispe Mamani' is ('María José',
    'Quispe Mamani'), 'Ana García López' ('Ana', 'García López'); one word is a given name."""
    words = name.split()
    if len(words) < 2:
        return " ".join(words), ""
    given, rest = _given(words)
    return " ".join(given), " ".join(rest)


def _given(words: list[str]) -> tuple[list[str], list[str]]:
    """The words of a name of two or more words: its given names, and the rest."""
    given, rest = [words[0]], words[1:]
    while len(rest) > 1:
        # A particle and the given name it leads to ("del Carmen", "de los Ángeles").
        lead = 0
        while lead < len(rest) - 1 and _plain(rest[lead]) in PARTICLES:
            lead += 1
        if lead + 1 < len(rest) and _plain(rest[lead]) in SECOND_GIVEN_NAMES:
            given += rest[: lead + 1]
            rest = rest[lead + 1 :]
        else:
            break
    return given, rest


def initialled(name: str) -> str:
    """'María José Quispe' -> 'María José Q.'; 'Ana García López' -> 'Ana G.'; a single name
    stays as it is."""
    words = name.split()
    if len(words) < 2:
        return name
    given, rest = _given(words)
    surname = next((word for word in rest if _plain(word) not in PARTICLES), rest[-1])
    return f"{' '.join(given)} {_initial(surname)}."
