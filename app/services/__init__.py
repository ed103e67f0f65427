"""Business rules as plain functions; they flush, the request commits."""

from . import notifications, reliability  # noqa: F401,E402 (subscribe to the workflow's events)
