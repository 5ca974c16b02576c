"""gunicorn entry point:

    gunicorn -c python:kam_common.gunicorn_conf -k kam_gateway.serving.GatewayWorker \
        kam_gateway.asgi:app
"""

from kam_common.requestlog import configure_logging
from kam_gateway import create_app

configure_logging("gateway")
app = create_app()
