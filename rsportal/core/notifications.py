"""Who is told what, and how: the categories of notifications and each user's choice.

Every notification goes through `deliver` (core.audit.notify calls it), inside the domain
function's transaction. For an address that belongs to a user it writes an entry in the user's
list in the portal ("Varsler", always) and, by the user's choice for the category, an e-mail in
the queue now, a mark for tomorrow's digest (`rsportal send_digest`), or nothing. An address
that belongs to nobody (a municipality's postmottak, a contact person without an account) gets
the e-mail at once: there is nobody to ask. Mandatory categories are always e-mailed at once.

All e-mail leaves through the one queue (core.models.Notification, `rsportal send_notifications`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Notice, Notification, NotificationPreference

Mode = NotificationPreference.Mode


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    help: str
    mandatory: bool = False


NEW_CALL = "new_call"
DEADLINE = "deadline"
STATUS = "status"
QUESTION = "question"
DECISION = "decision"
IDEAS = "ideas"
REQUIRED = "required"
DIGEST = "digest"  # the digest e-mail itself (a Notification category, never a Notice)

CATEGORIES = {
    c.key: c
    for c in (
        Category(NEW_CALL, gettext_lazy("Nye utlysninger"), gettext_lazy("Når et helsefellesskap eller RHF du følger, lyser ut midler.")),
        Category(DEADLINE, gettext_lazy("Påminnelser om frister"), gettext_lazy("Søknadsfrister for utkast du skriver på, og frister for rapporter.")),
        Category(STATUS, gettext_lazy("Endringer i saksgangen"), gettext_lazy("Formell kontroll, videresending og innleverte rapporter.")),
        Category(QUESTION, gettext_lazy("Spørsmål og svar"), gettext_lazy("Nye meldinger i samtalen om en søknad, og invitasjoner til å lese et utkast.")),
        Category(IDEAS, gettext_lazy("Prosjektidéer og partnere"), gettext_lazy("Nye idéer i helsefellesskapet ditt, og forslag om samarbeid med andre kommuner og helseforetak.")),
        Category(
            DECISION,
            gettext_lazy("Vedtak"),
            gettext_lazy("Vedtak om tilskudd er enkeltvedtak som skal meddeles partene (forvaltningsloven § 27)."),
            mandatory=True,
        ),
        Category(
            REQUIRED,
            gettext_lazy("Kvitteringer, konto, roller, sikkerhet og personvern"),
            gettext_lazy(
                "Kvittering for innsendt søknad (forvaltningsloven § 11 a), invitasjoner, roller som gis og avsluttes, "
                "tofaktorinnlogging, habilitet og innsyn i personopplysninger."
            ),
            mandatory=True,
        ),
    )
}


def mandatory() -> list[Category]:
    return [c for c in CATEGORIES.values() if c.mandatory]


def optional() -> list[Category]:
    return [c for c in CATEGORIES.values() if not c.mandatory]


def modes_for(user) -> dict[str, str]:
    """The user's e-mail choice per optional category (default: at once). One query."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("category", "mode"))
    return {c.key: chosen.get(c.key, Mode.IMMEDIATE) for c in optional()}


def _users_by_address(addresses: list[str]) -> dict[str, list]:
    found: dict[str, list] = {}
    if not addresses:
        return found
    users = get_user_model().objects.filter(is_active=True).annotate(address=Lower("email")).filter(address__in=addresses).order_by("pk")
    for user in users:
        found.setdefault(user.address, []).append(user)
    return found


def deliver(recipients: Iterable, subject: str, body: str, *, category: str = REQUIRED, link: str = "") -> list[Notification]:
    """Tell `recipients` (e-mail addresses or users) about something in `category`. Returns
    the e-mails queued now. `link` is the portal path the entry in the list leads to."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown notification category {category!r}")
    users_given = {}
    addresses = []
    spelled = {}  # an address as it was given, for the e-mail to an address without a user
    for r in recipients:
        if not r:
            continue
        if isinstance(r, str):
            addresses.append(r.strip().lower())
            spelled.setdefault(r.strip().lower(), r.strip())
        elif getattr(r, "pk", None) is not None:
            users_given[r.pk] = r
    by_address = _users_by_address(sorted(set(addresses) - {(u.email or "").lower() for u in users_given.values()}))
    users = dict(users_given)
    for group in by_address.values():
        users.update({u.pk: u for u in group})
    nobody = sorted({a for a in addresses if a not in by_address and a not in {(u.email or "").lower() for u in users_given.values()}})

    chosen = {}
    if not CATEGORIES[category].mandatory and users:
        chosen = dict(NotificationPreference.objects.filter(user__in=users.keys(), category=category).values_list("user_id", "mode"))
    mails: list[Notification] = [Notification(recipient=spelled[a], subject=subject, body=body, category=category) for a in nobody]
    notices = []
    mailed = set()
    for user in sorted(users.values(), key=lambda u: u.pk):
        mode = chosen.get(user.pk, Mode.IMMEDIATE)
        notices.append(Notice(user=user, category=category, subject=subject, body=body, link=link, digest_pending=mode == Mode.DIGEST))
        address = (user.email or "").lower()
        if mode == Mode.IMMEDIATE and address and address not in mailed:  # two accounts with one address get one e-mail
            mailed.add(address)
            mails.append(Notification(recipient=user.email, user=user, subject=subject, body=body, category=category))
    Notice.objects.bulk_create(notices)
    return Notification.objects.bulk_create(mails)


@transaction.atomic
def set_preferences(actor, modes: dict[str, str], *, interests: set[int] | None = None) -> None:
    """Save the user's e-mail choice per optional category (mandatory ones cannot be chosen) and,
    when given, the helsefellesskap whose new calls they want to hear of (ids)."""
    from rsportal.applications.models import CallInterest

    from .audit import record

    for key, mode in modes.items():
        if key not in CATEGORIES or CATEGORIES[key].mandatory:
            raise ValueError(_("Denne typen varsler kan ikke slås av."))
        NotificationPreference.objects.update_or_create(user=actor, category=key, defaults={"mode": Mode(mode)})
    data = {"modes": dict(modes)}
    if interests is not None:
        before = set(CallInterest.objects.filter(user=actor).values_list("helsefellesskap_id", flat=True))
        CallInterest.objects.filter(user=actor).exclude(helsefellesskap_id__in=interests).delete()
        CallInterest.objects.bulk_create([CallInterest(user=actor, helsefellesskap_id=h) for h in sorted(interests - before)])
        data["helsefellesskap"] = sorted(interests)
    record(actor, "notifications.preferences", actor, _("Varslingsvalg endret"), **data)


@transaction.atomic
def mark_read(actor, notice_ids=None) -> int:
    """Mark the user's own entries (all unread when `notice_ids` is None) as read."""
    from django.utils import timezone

    entries = Notice.objects.filter(user=actor, read_at__isnull=True)
    if notice_ids is not None:
        entries = entries.filter(pk__in=notice_ids)
    return entries.update(read_at=timezone.now())


def build_digests(now=None) -> int:
    """Queue one e-mail per user with the entries waiting for the digest, and clear the marks.
    Run daily (`rsportal send_digest`); a second run finds nothing waiting. Returns the count."""
    from django.urls import reverse

    from rsportal.applications.notices import site_url

    from .formatting import long_date

    sent = 0
    user_ids = list(Notice.objects.filter(digest_pending=True).values_list("user_id", flat=True).distinct().order_by("user_id"))
    for user_id in user_ids:
        with transaction.atomic():
            # Lock this user's waiting entries so that two runs at once never send them twice.
            entries = list(Notice.objects.select_for_update().filter(user_id=user_id, digest_pending=True).select_related("user").order_by("created_at", "pk"))
            if not entries:
                continue
            user = entries[0].user
            lines = [_("Dette har skjedd i RS-portalen siden forrige oppsummering:")]
            for entry in entries:
                lines.append(f"- {long_date(entry.created_at)}: {entry.subject}" + (f"\n  {site_url()}{entry.link}" if entry.link else ""))
            lines.append(_("Du bestemmer selv hvilke varsler som samles her: %(url)s") % {"url": site_url() + reverse("notices:settings")})
            Notification.objects.create(
                recipient=user.email,
                user=user,
                category=DIGEST,
                subject=_("Daglig oppsummering fra RS-portalen (%(n)s varsler)") % {"n": len(entries)},
                body="\n\n".join(lines),
            )
            Notice.objects.filter(pk__in=[e.pk for e in entries]).update(digest_pending=False)
            sent += 1
    return sent
