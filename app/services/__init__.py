"""Business rules as plain functions; they flush, the request commits."""

from . import notifications  # noqa: F401,E402 (subscribes to the workflow's events)
