from preau.config.env import env_str

REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    # Shared by every web process behind the load balancer: login throttling counters,
    # cached sessions.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "preau",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # The embedded default runs one web process (see the Makefile), so a process-local
    # cache is shared by every request it serves.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
