"""All settings of RS-portalen, driven by environment variables.

Defaults are chosen so that a fresh checkout runs the demo with SQLite and no
configuration; production sets RSPORTAL_DEBUG=False, RSPORTAL_SECRET_KEY,
RSPORTAL_ALLOWED_HOSTS and DATABASE_URL (PostgreSQL through psycopg 3).
"""

import datetime
import json
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
# Runtime data (SQLite file, uploads) lives outside the package and the web root.
DATA_DIR = Path(os.environ.get("RSPORTAL_DATA_DIR", BASE_DIR.parent / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("RSPORTAL_DEBUG", True)
SECRET_KEY = os.environ.get("RSPORTAL_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("RSPORTAL_SECRET_KEY must be set when RSPORTAL_DEBUG is false")
    SECRET_KEY = "insecure-development-key-only-for-the-local-demo"

ALLOWED_HOSTS = envlist("RSPORTAL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("RSPORTAL_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "rsportal.core",
    "rsportal.registry",
    "rsportal.accounts",
    "rsportal.funding",
    "rsportal.applications",
    "rsportal.assessment",
    "rsportal.followup",
    "rsportal.payments",
    "rsportal.catalogue",
    "rsportal.api",
    "rsportal.demo",
    "rsportal.security",
    "rsportal.signin",
    "rsportal.privacy",
    "rsportal.archive",
    "rsportal.calendar",
    "rsportal.ideas",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: refuses control characters and form data that is not UTF-8.
    "rsportal.security.middleware.MalformedRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rsportal.security.middleware.PrivateCacheMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTPMiddleware: an ID-porten session at a substantial level or higher counts as verified.
    "rsportal.signin.middleware.StrongSignInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "rsportal.security.middleware.ApiDocsCSPMiddleware",
    "rsportal.security.middleware.TwoFactorMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Static files straight from the app server in production; runserver serves them in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "rsportal.urls"
WSGI_APPLICATION = "rsportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rsportal.core.context_processors.roles",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'rsportal.sqlite3'}"
# Each test run gets a database of its own (RSPORTAL_TEST_DB_NAME chooses it), so two runs on
# one machine or one PostgreSQL server never create and drop each other's.
_TEST_RUN = "RSPORTAL_TEST_DB_NAME" in os.environ or "PYTEST_VERSION" in os.environ
if "DATABASE_URL" not in os.environ:
    # SQLite does not create the folder its file lives in, and a fresh checkout has no var/.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
# Connections live for a minute; the health check makes a request that finds its connection
# dropped (a database restart, a failover) open a new one instead of failing with a 500.
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two requests
    # that both check a pot's headroom cannot both pass the check.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if _TEST_RUN:
        # A file, not Django's in-memory default: the browser tests' live server answers from
        # other threads, and with an in-memory database every thread would share the test's
        # one connection, interleaving their transactions. With a file each has its own, as in
        # production. WAL lets the test read while the server writes.
        DATABASES["default"]["TEST"] = {
            "NAME": os.environ.get("RSPORTAL_TEST_DB_NAME") or str(Path(tempfile.gettempdir()) / f"rsportal-test-{os.getpid()}.sqlite3")
        }
        DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
elif _TEST_RUN:
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("RSPORTAL_TEST_DB_NAME") or f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every worker and server (Redis) when RSPORTAL_CACHE_URL is set, e.g.
# redis://127.0.0.1:6379/0: a proposal the optimiser solved in one worker is then not solved again
# in the next. Without it each process keeps its own small cache in memory, which is right for the
# demo and the tests. Sessions stay in the database either way: a Redis restart signs nobody out.
CACHE_URL = os.environ.get("RSPORTAL_CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Several portals (or a test run) may share one Redis server; the prefix keeps their keys apart.
            "KEY_PREFIX": os.environ.get("RSPORTAL_CACHE_KEY_PREFIX", "rsportal"),
            # A Redis that does not answer fails the request in two seconds instead of hanging a thread.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rsportal"}}

# The public pages (statistics, catalogue filters) are cached under a data version that every write
# to what they show replaces (rsportal/core/datacache.py). That needs a cache all workers share: a
# per-process memory cache could not be told of a change made in another worker.
RSPORTAL_PUBLIC_PAGE_CACHE = envbool("RSPORTAL_PUBLIC_PAGE_CACHE", bool(CACHE_URL))

# Long documents (the annual report PDF) are built by `rsportal build_documents` on a timer. When
# debugging there is no timer, so the order builds the document in the request (rsportal/followup/documents.py).
RSPORTAL_BUILD_DOCUMENTS_INLINE = envbool("RSPORTAL_BUILD_DOCUMENTS_INLINE", DEBUG)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out username/IP pair is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål")]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
# Off: years must print as 2026; amounts and counts are grouped explicitly by the kr/num filters.
USE_THOUSAND_SEPARATOR = False
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "uploads"
# Uploads are held in memory, never in temporary files: a worker killed mid-upload leaves
# nothing behind, and a file over the limit is dropped as it streams in instead of being
# written to disk first. Memory per request is capped (20 MB a file, 50 MB a form); see
# rsportal/core/uploads.py. Attachments are stored under MEDIA_ROOT by random names and served
# only through views that check permissions; MEDIA_URL is deliberately not served.
FILE_UPLOAD_HANDLERS = ["rsportal.core.uploads.LimitedMemoryUploadHandler"]

EMAIL_BACKEND = os.environ.get("RSPORTAL_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("RSPORTAL_FROM_EMAIL", "RS-portalen <ikke-svar@rsportal.invalid>")
RSPORTAL_SITE_URL = os.environ.get("RSPORTAL_SITE_URL", "")  # links in e-mails, e.g. https://rs.example.no; empty: the first allowed host
EMAIL_HOST = os.environ.get("RSPORTAL_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("RSPORTAL_EMAIL_PORT", "25"))

# Who runs this instance, shown on the contact page, the privacy and accessibility statements and
# the error pages. The RHF operating the portal is the data controller (behandlingsansvarlig); each
# operator sets its own. The defaults are the demo's and are deliberately unreachable (.invalid).
RSPORTAL_CONTACT_NAME = os.environ.get("RSPORTAL_CONTACT_NAME", "Helse Nord RHF (demo)")
RSPORTAL_CONTACT_EMAIL = os.environ.get("RSPORTAL_CONTACT_EMAIL", "rs-portalen@rsportal.invalid")
RSPORTAL_CONTACT_PHONE = os.environ.get("RSPORTAL_CONTACT_PHONE", "")
RSPORTAL_CONTACT_ADDRESS = os.environ.get("RSPORTAL_CONTACT_ADDRESS", "Postboks 0, 0000 Demostad")
# The data protection officer (personvernombud) or whoever answers questions about personal data.
RSPORTAL_PRIVACY_EMAIL = os.environ.get("RSPORTAL_PRIVACY_EMAIL", "personvernombud@rsportal.invalid")
# The operator's official accessibility statement in Digdir's uustatus.no, linked when set.
RSPORTAL_ACCESSIBILITY_STATEMENT_URL = os.environ.get("RSPORTAL_ACCESSIBILITY_STATEMENT_URL", "")

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("RSPORTAL_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("RSPORTAL_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RSPORTAL_LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO; only its warnings are worth a line.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 100

# --- Security: two-factor login, login throttling, content security policy, OpenID Connect ---
# See the "Security" section of README.md. Everything is on by default; the switches exist for
# the test suite and for deployments that put their own proof of a second factor in front.

# Secretariat, committee seats, RHF administrators and system administrators must confirm a
# TOTP code after the password (rsportal.security.twofactor.requires_two_factor).
RSPORTAL_REQUIRE_2FA = envbool("RSPORTAL_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = os.environ.get("RSPORTAL_OTP_ISSUER", "RS-portalen")

# Five wrong passwords for one username from one address lock that pair out for 15 minutes;
# locking on username alone would let anyone lock a secretary out of the portal.
AXES_ENABLED = envbool("RSPORTAL_LOGIN_THROTTLING", True)
AXES_FAILURE_LIMIT = int(os.environ.get("RSPORTAL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("RSPORTAL_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_CLIENT_IP_CALLABLE = "rsportal.security.throttling.client_ip"
# Number of reverse proxies in front of the app that append to X-Forwarded-For; 0 trusts REMOTE_ADDR only.
RSPORTAL_PROXY_COUNT = int(os.environ.get("RSPORTAL_PROXY_COUNT", "0"))

# No inline scripts or styles anywhere; the only exception is the Swagger page (ApiDocsCSPMiddleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"] + envlist("RSPORTAL_CSP_FORM_ACTION", ""),
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A working day; the session ends with the browser as well, so a shared computer forgets the login.
SESSION_COOKIE_AGE = int(os.environ.get("RSPORTAL_SESSION_SECONDS", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# OpenID Connect login (ID-porten, Entra ID, other providers): see rsportal/signin/ and the
# "Security" section of README.md. Providers come from RSPORTAL_OIDC_PROVIDERS (a JSON list of
# {"slug", "name", "kind": "idporten"|"entra"|"generic", "issuer", "client_id", "client_secret",
# "scopes", "acr_values"}), from the older single-provider variables below (a "generic" provider)
# and from the Django admin. Endpoints and keys are read from each issuer's discovery document.
RSPORTAL_OIDC_PROVIDERS = json.loads(os.environ.get("RSPORTAL_OIDC_PROVIDERS", "") or "[]")
if os.environ.get("RSPORTAL_OIDC_ISSUER") and os.environ.get("RSPORTAL_OIDC_CLIENT_ID") and os.environ.get("RSPORTAL_OIDC_CLIENT_SECRET"):
    RSPORTAL_OIDC_PROVIDERS.append(
        {
            "slug": "virksomhet",
            "name": os.environ.get("RSPORTAL_OIDC_BUTTON", "Logg inn med virksomhetskonto"),
            "kind": os.environ.get("RSPORTAL_OIDC_KIND", "generic"),
            "issuer": os.environ["RSPORTAL_OIDC_ISSUER"].rstrip("/"),
            "client_id": os.environ["RSPORTAL_OIDC_CLIENT_ID"],
            "client_secret": os.environ["RSPORTAL_OIDC_CLIENT_SECRET"],
            "scopes": os.environ.get("RSPORTAL_OIDC_SCOPES", ""),
        }
    )
RSPORTAL_OIDC_TIMEOUT = int(os.environ.get("RSPORTAL_OIDC_TIMEOUT", "10"))
# The key for the HMAC of ID-porten's national identity numbers (and for the ID token kept,
# encrypted, in the session for logout). Without it a key is derived from SECRET_KEY; set it in
# production, since changing it unbinds every account from ID-porten.
RSPORTAL_IDENTITY_KEY = os.environ.get("RSPORTAL_IDENTITY_KEY", "")
# ID-porten level of assurance every sign-in needs, and the level for roles that require
# two-factor login (seats in bodies, RHF and system administrators).
RSPORTAL_IDPORTEN_ACR = os.environ.get("RSPORTAL_IDPORTEN_ACR", "idporten-loa-substantial")
RSPORTAL_IDPORTEN_ACR_TWO_FACTOR = os.environ.get("RSPORTAL_IDPORTEN_ACR_TWO_FACTOR", "idporten-loa-substantial")
