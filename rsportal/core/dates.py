"""Dates and times as Norwegians type them: "15.01.2027 10.00", "15.01.2027 kl. 10.00",
"15. januar 2027 kl. 10.00", and the ISO form "2027-01-15 10:00" that browsers send."""

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("januar", "jan"),
            ("februar", "feb"),
            ("mars", "mar"),
            ("april", "apr"),
            ("mai",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("desember", "des"),
        ],
        start=1,
    )
    for name in names
}

_TIME = r"(?:\s*,?\s*(?:kl\.?|klokka|klokken)?\s*(?P<hour>\d{1,2})(?:[.:](?P<minute>\d{2}))?)?"
_PATTERNS = [
    re.compile(r"^(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})" + _TIME + r"$"),
    re.compile(r"^(?P<day>\d{1,2})\.?\s+(?P<month_name>[a-zæøå]+)\.?\s+(?P<year>\d{4})" + _TIME + r"$"),
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[ t]+(?P<hour>\d{1,2})[.:](?P<minute>\d{2})(?::\d{2})?)?$"),
]


def parse_datetime(text: str, *, require_time: bool = True) -> datetime.datetime | None:
    """The naive local date and time in `text`, or None when it is not understood."""
    text = " ".join((text or "").strip().lower().split())
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        parts = match.groupdict()
        month = MONTHS.get(parts["month_name"]) if parts.get("month_name") else int(parts["month"])
        if month is None or (require_time and parts.get("hour") is None):
            return None
        try:
            return datetime.datetime(int(parts["year"]), month, int(parts["day"]), int(parts.get("hour") or 0), int(parts.get("minute") or 0))
        except ValueError:  # 31.02, 25.00 and the like
            return None
    return None


def format_datetime(value: datetime.datetime) -> str:
    """The form the parser reads back, in local time: "15.01.2027 10.00"."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d.%m.%Y %H.%M")


class NorwegianDateTimeInput(forms.TextInput):
    def format_value(self, value):
        if isinstance(value, datetime.datetime):
            return format_datetime(value)
        return super().format_value(value)


class NorwegianDateTimeField(forms.Field):
    """A date and time typed the Norwegian way; cleans to an aware datetime in local time."""

    widget = NorwegianDateTimeInput
    default_error_messages = {
        "invalid": _("Skriv dato og klokkeslett slik: 15.01.2027 10.00 (eller «15. januar 2027 kl. 10.00»)."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return timezone.make_aware(parsed)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"placeholder": "15.01.2027 10.00", "autocomplete": "off"})
        return attrs
