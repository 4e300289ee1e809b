import secrets

from django.core.exceptions import ImproperlyConfigured

from preau.config.env import VAR_DIR, env_bool, env_list, env_str

from .base import PREAU_ENV

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PREAU_ENV == "production":
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production.")
    # A laptop or a demo keeps a generated key under var/, never in the repository.
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        _key_file.parent.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "preau.portal.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PREAU_ENV == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
