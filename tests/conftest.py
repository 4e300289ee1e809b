"""Fixtures shared by the unit and integration tests."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, settings

from tests.factories import PASSWORD

# The calendar properties call the `holidays` library, whose first call for a year is
# slow: no per-example deadline.
settings.register_profile("preau", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("preau")


def pytest_configure(config):
    # WhiteNoise looks for collected static files, which the tests never collect.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` (row locks, concurrent connections) run on PostgreSQL
    only: CI runs the suite on both databases."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Login throttling counts failures in the cache: every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


def log_in(client, account, *, remember: bool = False, password: str = PASSWORD, **extra):
    """Sign `account` in through the real login page, as a person would, and return
    the response (a redirect to the home page)."""
    data = {"username": account.login, "password": password}
    if remember:
        data["remember"] = "on"
    response = client.post(reverse("accounts:login"), data, **extra)
    assert response.status_code == 302, "the login page refused the test account"
    return response
