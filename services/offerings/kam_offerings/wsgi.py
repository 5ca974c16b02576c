"""gunicorn entry point: `gunicorn kam_offerings.wsgi:app`."""

from kam_common.requestlog import configure_logging
from kam_offerings import create_app

configure_logging("offerings")
app = create_app()
