"""gunicorn entry point: `gunicorn kam_accounts.wsgi:app`."""

from kam_accounts import create_app
from kam_common.requestlog import configure_logging

configure_logging("accounts")
app = create_app()
