"""English dates for readers on every continent: the month in words (12/06/2026 is June to
some and December to others), a 24-hour clock (no "p.m." whose own full stop doubles a
sentence's), and the time zone named. Input formats are Django's."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i T"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
FIRST_DAY_OF_WEEK = 1  # Monday
