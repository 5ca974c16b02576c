"""gunicorn entry point: `gunicorn kam_health.wsgi:app`."""

from kam_common.requestlog import configure_logging
from kam_health import create_app

configure_logging("health")
app = create_app()
