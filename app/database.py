"""The engine's options, by the database behind it."""

from __future__ import annotations

# PostgreSQL compiles a statement to machine code (JIT) once its estimated cost passes a threshold:
# worth it for an analytical query of minutes, a loss for the app's, which run in milliseconds. The
# menu analysis's uncovered-demand statement spent 220 of its 255 ms compiling at a million orders.
POSTGRESQL_SESSION = "-c jit=off"


def engine_options(config) -> dict:
    """The configured engine options, adjusted to the database.

    SQLite: no liveness ping per request (``pool_pre_ping`` is for servers that
    restart or cut idle connections; a file has no server, and the ping would
    only add a statement to every request). PostgreSQL: no JIT compilation in
    the app's sessions (``POSTGRESQL_SESSION``), unless the options name one.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    uri = str(config.get("SQLALCHEMY_DATABASE_URI", ""))
    if uri.startswith("sqlite"):
        options.pop("pool_pre_ping", None)
    elif uri.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", POSTGRESQL_SESSION)
        options["connect_args"] = connect_args
    return options
