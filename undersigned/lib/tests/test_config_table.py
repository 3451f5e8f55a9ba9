from __future__ import annotations

from undersigned.lib.config_table import END, PAGE, SETTINGS, START, rows, table


def test_every_setting_read_from_the_environment_is_documented() -> None:
    for name, _default, doc in rows(SETTINGS.read_text(encoding="utf-8")):
        assert doc, f"{name} has no comment above it in settings.py"


def test_the_configuration_page_table_is_current() -> None:
    text = PAGE.read_text(encoding="utf-8")
    between = text.split(START, 1)[1].split(END, 1)[0]
    assert between.strip() == table(SETTINGS.read_text(encoding="utf-8"))


def test_a_setting_whose_name_holds_a_digit_is_in_the_table() -> None:
    source = '# Bits of an IPv6 address.\nCLIENT_IPV6_PREFIX = env_int("CLIENT_IPV6_PREFIX", 64)\n'
    assert rows(source) == [("CLIENT_IPV6_PREFIX", "64", "Bits of an IPv6 address.")]
