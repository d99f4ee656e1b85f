"""Norwegian number, name and time formats, used by templates, letters, messages and exports alike."""

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"


def group(value: int) -> str:
    """12345678 -> '12 345 678' with non-breaking spaces, as Norwegian typesetting wants."""
    sign = "−" if value < 0 else ""
    return sign + f"{abs(int(value)):,}".replace(",", NBSP)


def kroner(value: int | Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{group(int(value))}{NBSP}kr"


def mnok(value: int | None, decimals: int = 1) -> str:
    """Kroner shown as millions with a decimal comma: 92850000 -> '92,9 mill. kr'."""
    if value is None:
        return "–"
    # Half up, as the sources round (92.85 -> 92.9), not Python's banker's rounding.
    millions = (Decimal(int(value)) / Decimal(1_000_000)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{millions:.{decimals}f}".replace(".", ",")
    return f"{text}{NBSP}mill.{NBSP}kr"


def person_name(user) -> str:
    """How a user is named in messages: full name, or the username when none is recorded."""
    return user.get_full_name() or user.username


def local_stamp(value) -> str:
    """A moment in Norwegian local time, as in "05.03.2026 kl. 14.30" ("" for none)."""
    from django.utils import timezone

    return timezone.localtime(value).strftime("%d.%m.%Y kl. %H.%M") if value else ""


MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember")


def long_date(value) -> str:
    """A date (or a moment, in Norwegian local time) written out, as in "1. januar 2028" ("" for none).
    Spelled here rather than through the active locale, so a message queued by a script reads the same."""
    import datetime

    from django.utils import timezone

    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"
