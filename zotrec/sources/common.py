"""Helpers shared by the source parsers: decoding, dates, one-line errors, option bundle."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field

from zotrec.errors import SourceError

# Documented limit: a digest larger than this is refused (README "Digest sources").
MAX_BYTES = 40 * 1024 * 1024

MONTHS = {
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


class ParseProblem(Exception):
    """Raised by a parser with a one-line description; the caller adds the source name."""


@dataclass
class Options:
    """Options every parser may read."""

    digest_date: dt.date = field(default_factory=dt.date.today)
    skip_replacements: bool = False
    partial: str | None = None  # set by a parser that skipped part of its input: one line saying what


def one_line(text: object, limit: int = 200) -> str:
    """Squash a message to one line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def source_error(source: str, problem: object) -> SourceError:
    return SourceError(source, one_line(problem))


def decode(data: bytes) -> str:
    """Decode bytes as UTF-8 (BOM allowed); refuse binary junk and other encodings clearly."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise ParseProblem(f"not valid UTF-16 text ({err.reason} at byte {err.start})") from None
    if b"\x00" in data[:4096]:
        raise ParseProblem("binary data, not a text digest")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        head = data[:4096]
        declared = re.search(rb"encoding=[\"']([\w.-]+)[\"']", head[:200])
        if declared:
            try:
                return data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ParseProblem(
            f"not UTF-8 text (invalid byte 0x{data[err.start]:02x} at line {line}, column {column}); "
            "re-save the file as UTF-8"
        ) from None


def resolve_month_day(month: str, day: int, year: int | None, ref: dt.date) -> dt.date | None:
    """A date from month name + day (+ year); without a year, the latest one not after ``ref``."""
    number = MONTHS.get(month.lower().rstrip("."))
    if not number:
        return None
    try:
        if year is not None:
            return dt.date(year, number, day)
        candidate = dt.date(ref.year, number, day) if not (number == 2 and day == 29) else None
        if candidate is None:  # Feb 29: find the latest leap year not after ref
            y = ref.year
            while True:
                try:
                    candidate = dt.date(y, 2, 29)
                    if candidate <= ref:
                        return candidate
                except ValueError:
                    pass
                y -= 1
        return candidate if candidate <= ref else dt.date(ref.year - 1, number, day)
    except ValueError:
        return None


def parse_date(value: object) -> dt.date | None:
    """Parse an ISO date/datetime, an RFC 822 date or a feedparser time tuple; None if unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, tuple) or hasattr(value, "tm_year"):
        try:
            return dt.date(value[0], value[1], value[2])  # type: ignore[index]
        except (ValueError, TypeError, IndexError):
            return None
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    if not re.search(r"\d{4}", text):
        return None  # no year: not a date we can trust
    from dateutil import parser as dateparser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dateparser.parse(text, default=dt.datetime(1900, 1, 1)).date()
    except (ValueError, OverflowError, TypeError):
        return None
