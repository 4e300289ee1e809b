from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def production_needs_redis(app_configs, **kwargs):
    """Behind a load balancer, each web process would otherwise count failed logins on
    its own: an attacker would get as many tries as there are processes."""
    if settings.PREAU_ENV == "production" and not settings.REDIS_URL:
        return [
            Warning(
                "REDIS_URL is not set: login throttling is counted per process.",
                hint="Set REDIS_URL to the Redis shared by every web process.",
                id="preau.W001",
            )
        ]
    return []
