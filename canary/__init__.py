"""Canary waybills: decoy shipments that tell a courier network where its data leaks."""

from .celery import app as celery_app

__all__ = ("celery_app",)
