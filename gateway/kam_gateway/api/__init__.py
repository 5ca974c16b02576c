"""HTTP interface of the gateway's own operations (everything else is forwarded)."""

from kam_common.web import Api


def register_blueprints(api: Api) -> None:
    from kam_gateway.api import keys, meta, overview

    for module in (meta, keys, overview):
        api.register_blueprint(module.blp)
