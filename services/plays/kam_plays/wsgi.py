"""gunicorn entry point: `gunicorn kam_plays.wsgi:app`."""

from kam_common.requestlog import configure_logging
from kam_plays import create_app

configure_logging("plays")
app = create_app()
