"""HTTP interface of the offerings service: thin routes over the use cases."""

from kam_common.web import Api


def register_blueprints(api: Api) -> None:
    from kam_offerings.api import catalog, insights, proposals

    for module in (catalog, proposals, insights):
        api.register_blueprint(module.blp)
