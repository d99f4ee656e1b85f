import time
from base64 import b32decode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.security.twofactor import requires_two_factor

# Published on purpose (README, "Security"): anyone can compute the demo users' codes. That is
# the point of a demo, and why the command refuses to run on a production configuration.
DEMO_SECRET_BASE32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO_EMAIL_DOMAIN = "@demo.invalid"
DEVICE_NAME = "Demo (offentlig hemmelighet)"


class Command(BaseCommand):
    help = (
        "Give every demo user who must use two-factor login a TOTP device with the published demo "
        f"secret {DEMO_SECRET_BASE32} and print the current code. Only for the demo."
    )

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true", help="Run even when RSPORTAL_DEBUG is false.")

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("demo_totp gives users a publicly known secret; it runs only with RSPORTAL_DEBUG=true.")
        key = b32decode(DEMO_SECRET_BASE32).hex()
        users = get_user_model().objects.filter(email__endswith=DEMO_EMAIL_DOMAIN, is_active=True).order_by("username")
        if not users:
            raise CommandError("No demo users found; run `rsportal load_demo` first.")
        code = f"{totp(bytes.fromhex(key)):06d}"
        seconds_left = 30 - int(time.time()) % 30
        self.stdout.write(f"Demo TOTP secret (all demo users): {DEMO_SECRET_BASE32}")
        self.stdout.write(f"Current code: {code} (valid for {seconds_left} more seconds)")
        for user in users:
            if not requires_two_factor(user):
                self.stdout.write(f"  {user.username:<26} no code needed")
                continue
            TOTPDevice.objects.update_or_create(user=user, name=DEVICE_NAME, defaults={"key": key, "confirmed": True})
            self.stdout.write(f"  {user.username:<26} {code}")
