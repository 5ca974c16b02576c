"""gunicorn entry point: `gunicorn kam_gateway.wsgi:app`."""

from kam_common.requestlog import configure_logging
from kam_gateway import create_app

configure_logging("gateway")
app = create_app()
