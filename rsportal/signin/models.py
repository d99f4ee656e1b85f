"""Sign-in with OpenID Connect providers: the providers, each organisation's sign-in rules, the
bindings of accounts to ID-porten identities (only as keyed hashes) and the nonces already used."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rsportal.registry.models import HealthTrust, Municipality, RegionalHealthAuthority


class Provider(models.Model):
    """An OpenID Provider with its own button on the login page. System configuration: kept by
    the system administrator in the Django admin (or given in settings, see providers.py)."""

    class Kind(models.TextChoices):
        IDPORTEN = "idporten", _("ID-porten")
        ENTRA = "entra", _("Entra ID")
        GENERIC = "generic", _("Annen OpenID Connect-leverandør")

    slug = models.SlugField(_("kortnavn i adressen"), max_length=40, unique=True)
    name = models.CharField(_("tekst på knappen"), max_length=80, help_text=_("For eksempel «Logg inn med ID-porten»."))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    issuer = models.URLField(_("utsteder (issuer)"), max_length=300)
    client_id = models.CharField(_("klient-ID"), max_length=200)
    client_secret = models.CharField(_("klienthemmelighet"), max_length=500)
    scopes = models.CharField(_("scopes"), max_length=300, default="openid profile")
    acr_values = models.CharField(
        _("ønsket sikkerhetsnivå (acr_values)"), max_length=200, blank=True, help_text=_("For ID-porten: idporten-loa-substantial eller idporten-loa-high.")
    )
    enabled = models.BooleanField(_("i bruk"), default=True)
    order = models.PositiveSmallIntegerField(_("rekkefølge"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("innloggingsleverandør")
        verbose_name_plural = _("innloggingsleverandører")

    def __str__(self) -> str:
        return self.name


class OrganisationSignIn(models.Model):
    """How the people of one organisation sign in: which Entra ID tenants speak for it, whether
    local passwords are allowed, and whom a person who cannot get in should ask."""

    municipality = models.OneToOneField(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    trust = models.OneToOneField(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    rhf = models.OneToOneField(RegionalHealthAuthority, verbose_name=_("RHF"), null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tenants = models.TextField(
        _("tillatte Entra ID-leietakere"), blank=True, help_text=_("Leietaker-ID (tid) for organisasjonens Entra ID, én per linje.")
    )
    passwords_allowed = models.BooleanField(
        _("passord tillatt"), default=True, help_text=_("Slå av for å kreve innlogging gjennom en leverandør for alle som bare har roller i denne organisasjonen.")
    )
    contact = models.CharField(
        _("kontakt for tilgang"), max_length=200, blank=True, help_text=_("Hvem en ansatt uten konto skal spørre, for eksempel «IT-avdelingen, it@kommune.no».")
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True, rhf__isnull=True)
                | Q(municipality__isnull=True, trust__isnull=False, rhf__isnull=True)
                | Q(municipality__isnull=True, trust__isnull=True, rhf__isnull=False),
                name="signin_for_one_organisation",
            )
        ]
        verbose_name = _("innloggingsregler for organisasjon")
        verbose_name_plural = _("innloggingsregler for organisasjoner")

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def organisation(self):
        return self.municipality or self.trust or self.rhf

    @property
    def tenant_ids(self) -> set[str]:
        return {line.strip().lower() for line in self.tenants.splitlines() if line.strip()}


class IdentityBinding(models.Model):
    """An account bound to a person's national identity number from ID-porten (`pid`).

    Only an HMAC of the number is stored, keyed with a setting that is not in the database, so
    neither the database nor a backup or an export holds the number, and it cannot be found by
    hashing all eleven-digit numbers without the key."""

    class Kind(models.TextChoices):
        IDPORTEN = "idporten", _("ID-porten")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("bruker"), on_delete=models.CASCADE, related_name="identity_bindings")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.IDPORTEN)
    identity_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("knyttet"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("sist brukt"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "identity_hash"], name="one_account_per_identity"),
            models.UniqueConstraint(fields=["kind", "user"], name="one_identity_per_account"),
        ]
        verbose_name = _("knytning til ID-porten")
        verbose_name_plural = _("knytninger til ID-porten")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"


class UsedNonce(models.Model):
    """Each ID token's nonce is accepted once: a token replayed with a copied session is refused."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
