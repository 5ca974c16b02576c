"""What can go wrong in the accounts service, each carrying the HTTP status it becomes."""

from kam_common.errors import Conflict, Invalid, NotFound


class AccountNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Account not found.")


class ContactNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Contact not found.")


class TeamMemberNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Team member not found.")


class AccountArchived(Conflict):
    slug = "account-archived"

    def __init__(self) -> None:
        super().__init__(
            "The account is archived: its history stays readable but it takes no new records. "
            'Restore it with PATCH {"status": "active"} first.'
        )


class ReportingLoop(Invalid):
    def __init__(self, chain: list[str]) -> None:
        super().__init__(
            "reports_to_id",
            "This reporting line would make a loop.",
            detail="reports_to_id would make a reporting loop: " + " → ".join(chain) + ".",
        )


class GroupLoop(Invalid):
    def __init__(self, chain: list[str]) -> None:
        super().__init__(
            "parent_id",
            "This parent would make a loop in the group.",
            detail="parent_id would make a loop: " + " → ".join(chain) + ".",
        )


class UnknownParent(Invalid):
    def __init__(self) -> None:
        super().__init__("parent_id", "No such account.")
