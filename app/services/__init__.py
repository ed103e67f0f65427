"""Business rules as plain functions; they flush, the request commits."""
