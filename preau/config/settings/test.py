"""Settings for the test suite: the real settings with fast hashing and eager tasks."""

import os

os.environ.setdefault("PREAU_ENV", "test")

from . import *  # noqa: F403

# Argon2 stays the algorithm; only its cost is lowered so that the suite stays fast.
PASSWORD_HASHERS = ["preau.accounts.hashers.FastArgon2PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
