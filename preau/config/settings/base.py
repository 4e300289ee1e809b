import json
from datetime import timedelta

from preau.config.env import BASE_DIR, VAR_DIR, env_bool, env_int, env_list, env_str

DEBUG = env_bool("DJANGO_DEBUG", False)
PREAU_ENV = env_str("PREAU_ENV", "local")  # local, demo, test or production

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "preau.core",
    "preau.accounts",
    "preau.structure",
    "preau.audit",
    "preau.timetable",
    "preau.attendance",
    "preau.grades",
    "preau.homework",
    "preau.messaging",
    "preau.portal",
    "preau.api",
    "preau.devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "preau.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "preau.portal.middleware.SpaceMiddleware",
]

ROOT_URLCONF = "preau.config.urls"
WSGI_APPLICATION = "preau.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "preau" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "preau.portal.context_processors.shell",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["preau.accounts.backends.LoginBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes are upgraded to argon2 at the next successful login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PREAU_PASSWORD_RESET_TIMEOUT_HOURS", 24) * 3600

# Getting in (access.md): families and pupils who tick "rester connecté" keep their
# session this many days; everybody else is signed out after this much inactivity,
# and when the browser closes.
PREAU_REMEMBER_ME_DAYS = env_int("PREAU_REMEMBER_ME_DAYS", 30)
PREAU_IDLE_TIMEOUT_HOURS = env_int("PREAU_IDLE_TIMEOUT_HOURS", 12)
# A sliding session is saved again at most this often, not on every request.
PREAU_SESSION_REFRESH = timedelta(minutes=env_int("PREAU_SESSION_REFRESH_MINUTES", 5))
SESSION_COOKIE_AGE = PREAU_IDLE_TIMEOUT_HOURS * 3600
SESSION_COOKIE_NAME = "preau_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed logins allowed per window, per account and per client address. A whole school
# often shares one public address, hence the higher figure for addresses.
PREAU_LOGIN_FAILURES_PER_ACCOUNT = env_str("PREAU_LOGIN_FAILURES_PER_ACCOUNT", "10/15m")
PREAU_LOGIN_FAILURES_PER_ADDRESS = env_str("PREAU_LOGIN_FAILURES_PER_ADDRESS", "100/15m")
# Number of reverse proxies in front of Préau whose X-Forwarded-For can be trusted.
PREAU_TRUSTED_PROXIES = env_int("PREAU_TRUSTED_PROXIES", 0)
PREAU_PASSWORD_RESETS_PER_ADDRESS = env_str("PREAU_PASSWORD_RESETS_PER_ADDRESS", "20/h")
# Activation letters: how long a one-time code lasts, and wrong codes allowed per
# identifier and per client address (accounts.md).
PREAU_ACTIVATION_CODE_DAYS = env_int("PREAU_ACTIVATION_CODE_DAYS", 60)
PREAU_ACTIVATION_FAILURES_PER_ACCOUNT = env_str("PREAU_ACTIVATION_FAILURES_PER_ACCOUNT", "10/h")
PREAU_ACTIVATION_FAILURES_PER_ADDRESS = env_str("PREAU_ACTIVATION_FAILURES_PER_ADDRESS", "50/h")
RATELIMIT_IP_META_KEY = "preau.core.http.client_address"
# If the shared cache is down, let people sign in rather than lock everybody out.
RATELIMIT_FAIL_OPEN = True

# Single sign-on providers shown on the login page, as JSON:
# [{"label": "Se connecter avec ÉduConnect", "url": "/sso/educonnect/"}]
# (see docs/decisions/0003-authentication.md).
PREAU_SSO_PROVIDERS: list[dict] = json.loads(env_str("PREAU_SSO_PROVIDERS", "[]"))

# The address people reach Préau at, for links in e-mails sent by the worker (no request
# there to build them from).
PREAU_SITE_URL = env_str("PREAU_SITE_URL", "http://localhost:8000")

# Messaging (docs/messaging.md): no limit on length or recipients but a technical cap on
# a message's size (its HTML; requests stay under DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB),
# and on attachments.
PREAU_MESSAGE_MAX_BYTES = env_int("PREAU_MESSAGE_MAX_BYTES", 2 * 1024 * 1024)
PREAU_MESSAGE_ATTACHMENT_MAX_BYTES = env_int("PREAU_MESSAGE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
PREAU_MESSAGE_ATTACHMENTS_MAX = env_int("PREAU_MESSAGE_ATTACHMENTS_MAX", 10)

# Where the source code of the running version can be had (AGPL-3.0 section 13).
PREAU_SOURCE_URL = env_str("PREAU_SOURCE_URL", "https://forge.example.org/preau/preau")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "preau" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

NINJA_PAGINATION_PER_PAGE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("PREAU_LOG_LEVEL", "INFO")},
    "loggers": {
        # Refused attempts to reach an object (access.md: "the attempt is logged").
        "preau.access": {"level": "INFO"},
        "preau.accounts": {"level": "INFO"},
    },
}
