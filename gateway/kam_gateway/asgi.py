"""gunicorn entry point:

    gunicorn -c python:kam_common.gunicorn_conf -k kam_gateway.serving.GatewayWorker \
        kam_gateway.asgi:app
"""

import gc

from kam_common.requestlog import configure_logging
from kam_gateway import create_app

configure_logging("gateway")
app = create_app()
# What the app keeps for its life need not be scanned by every garbage collection after this.
gc.freeze()
