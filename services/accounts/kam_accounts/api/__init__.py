"""HTTP interface of the accounts service: thin routes over the use cases."""

from kam_common.web import Api


def register_blueprints(api: Api) -> None:
    from kam_accounts.api import accounts, contacts, history, imports, team

    for module in (accounts, contacts, team, history, imports):
        api.register_blueprint(module.blp)
    api.register_blueprint(accounts.groups)
