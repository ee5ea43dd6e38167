"""Registers the import job with the worker (imported from IoConfig.ready)."""

from firstline.io import services  # noqa: F401
