"""Préau: an open ENT and vie-scolaire platform for French collèges and lycées."""

from preau.config.celery import app as celery_app

__all__ = ["celery_app"]
