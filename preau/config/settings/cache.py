from preau.config.env import env_str

from .base import PREAU_ENV

REDIS_URL = env_str("REDIS_URL")
# Sessions live in the database: Redis may go away without signing everybody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

if REDIS_URL:
    # Shared by every web process behind the load balancer: login throttling counters.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "preau",
        }
    }
else:
    # The embedded default runs one web process (see the Makefile), so a process-local
    # cache is shared by every request it serves.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if PREAU_ENV != "production":
        # Production without Redis keeps the warning (and preau.W001 adds its own).
        SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
