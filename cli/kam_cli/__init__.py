"""The `kam` command and what it runs: migrations, demo data, keys, the worker, the supervisor.

A composition root of its own: it knows every app and imports them; no app imports it.
"""
