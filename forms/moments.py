"""Dates and times as people write them: 2026-11-30, 30 Nov 2026, 2026年11月30日; 14:30,
14时30分, 下午2:30. Whatever way it was written, a date is a date and a time a time: what
is read never depends on the language of the form or of the one reading it.

Chinese is typed with an input method that may give full-width digits and signs
(２０２６－１１－３０ １４：３０); they are read as their ordinary forms.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from forms.problems import not_a_date, not_a_datetime

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
# A numeric date: year, month, day, by -, /, . or 年 月 日 (号, as it is said).
_Y_M_D = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
_YMD = re.compile(rf"^{_Y_M_D}\s*[日号]?$")
# A numeric date and what follows it: after 日 the time may follow at once
# (2026年11月3日14:30); after a bare day number only past a space.
_YMD_THEN = re.compile(rf"^{_Y_M_D}(?:\s*[日号]\s*|\s+|$)(.*)$")
_D_MON_Y = re.compile(r"^(\d{1,2})[\s-]+([A-Za-z]+)\.?,?[\s-]+(\d{4})$")
_MON_D_Y = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?$")
# 14时30分, 14点30, 14时, 2点半, 14时30分15秒.
_CHINESE_TIME = re.compile(
    r"^(\d{1,2})\s*[时点點]\s*(?:(半)|(\d{1,2})\s*分?)?\s*(?:(\d{1,2})\s*秒)?$"
)
# Morning and afternoon, as Excel and CLDR write a 12-hour time in Chinese (下午2:30).
_MORNING, _AFTERNOON = "上午", "下午"
# Full-width ASCII (what a Chinese input method types) as its ordinary form.
_NARROW = str.maketrans(
    {chr(wide): chr(wide - 0xFEE0) for wide in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
)


def narrow(text: str) -> str:
    """text with full-width digits, letters and signs as their ordinary forms."""
    return text.translate(_NARROW)


def parse_date(text: str) -> date:
    t = narrow(text).strip()
    m = _YMD.match(t)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]), text)
    m = _D_MON_Y.match(t)
    if m and m[2].casefold() in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[2].casefold()], int(m[1]), text)
    m = _MON_D_Y.match(t)
    if m and m[1].casefold() in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[1].casefold()], int(m[2]), text)
    # A date with a midnight time, as some programs write a plain date.
    head, _sep, tail = t.replace("T", " ").partition(" ")
    if tail and TIME.match(tail.strip()) and not any(c not in "0:" for c in tail.strip()):
        return parse_date(head)
    raise not_a_date(text)


def _make_date(y: int, m: int, d: int, text: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise not_a_date(text) from None


def parse_datetime(text: str) -> datetime:
    t = narrow(text).strip().replace("T", " ")
    m = _YMD_THEN.match(t)
    if m:
        day: date | None = _make_date(int(m[1]), int(m[2]), int(m[3]), text)
        tail = m[4].strip()
    else:
        head, _sep, tail = t.partition(" ")
        tail = tail.strip()
        day = _date_or_none(head if tail else t)
    if day is None:
        raise not_a_datetime(text)
    if not tail:
        return datetime(day.year, day.month, day.day)
    clock = time_of_day(tail)
    if clock is None:
        raise not_a_datetime(text)
    return datetime(day.year, day.month, day.day, *clock)


def _date_or_none(text: str) -> date | None:
    try:
        return parse_date(text)
    except ValueError:
        return None


def time_of_day(text: str) -> tuple[int, int, int] | None:
    """Hour, minute and second of a time as written (14:30, 14时30分, 下午2:30), or None
    when it is none; a 12-hour time needs its 上午 or 下午."""
    t = text.strip()
    half = next((h for h in (_MORNING, _AFTERNOON) if t.startswith(h)), None)
    if half:
        t = t[len(half) :].strip()
    m = TIME.match(t)
    if m:
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    else:
        m = _CHINESE_TIME.match(t)
        if not m:
            return None
        hour, minute, second = int(m[1]), 30 if m[2] else int(m[3] or 0), int(m[4] or 0)
    if half == _MORNING and hour <= 12:
        hour %= 12  # 上午12:30 is half past midnight, as 12:30 AM
    elif half == _AFTERNOON and 1 <= hour <= 11:
        hour += 12
    elif half == _MORNING or (half == _AFTERNOON and hour == 0):
        return None  # 上午14:30, 下午0:30: which was meant?
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second
