"""Proposals: three options for an account, one recommended; accepting one makes an agreement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kam_common.context import Caller
from kam_common.db import utcnow
from kam_common.errors import AppError, Conflict, NotFound
from kam_common.pagination import list_of_accounts
from kam_offerings import events
from kam_offerings.domain.bundles import Line, Option, build_options, segment_minimum_set
from kam_offerings.domain.catalog import tightest
from kam_offerings.domain.money import cents, total
from kam_offerings.domain.needs import match_needs
from kam_offerings.domain.recommend import AccountView, recommend
from kam_offerings.models import AccountFacts, Agreement, Proposal
from kam_offerings.services.catalog import active_services
from kam_offerings.services.context import Readers, Settings
from kam_offerings.services.economics import active_agreement, pareto_position
from kam_offerings.services.facts import account_for_body, current_band


class InvalidChoice(AppError):
    status = 422


def _line_json(line: Line) -> dict[str, Any]:
    s = line.service
    return {
        "catalog_item_id": s.id,
        "code": s.code,
        "name": s.name,
        "kind": s.kind,
        "included": line.included,
        "price": str(line.price),
        "cost": str(line.cost),
        "benefit": line.benefit,
        "family": s.family_key,
        "level": s.level,
        "commitment": dict(s.commitment),
    }


def _option_json(option: Option) -> dict[str, Any]:
    return {
        "strategy": option.strategy,
        "items": [_line_json(line) for line in option.lines],
        "price": str(option.price),
        "cost_to_serve": str(option.cost_to_serve),
        "rationale": option.rationale,
    }


def _segment_agreements(session: Session, segment: str | None) -> list[set[str]]:
    """The item sets of the active agreements in the segment, in one query."""
    stmt = (
        select(Agreement.items)
        .join(AccountFacts, AccountFacts.account_id == Agreement.account_id)
        .where(Agreement.status == "active", AccountFacts.status == "active")
    )
    stmt = stmt.where(
        AccountFacts.segment == segment if segment is not None else AccountFacts.segment.is_(None)
    )
    return [{item["catalog_item_id"] for item in items} for items in session.scalars(stmt)]


def create_proposal(
    *, session: Session, caller: Caller, account_id: str, settings: Settings, readers: Readers
) -> Proposal:
    facts = account_for_body(session, caller, account_id, readers.accounts)
    services = active_services(session)
    if not any(s.kind == "core" for s in services):
        raise Conflict("The catalog has no active core service to build options on; add one.")
    band = current_band(session, account_id, readers.health, keep=True)
    matched = match_needs(facts.needs, services)
    segment_set = segment_minimum_set(
        segment=facts.segment,
        agreements=_segment_agreements(session, facts.segment),
        services=services,
    )
    options = build_options(
        services=services,
        matched=matched,
        segment_set=segment_set,
        bundle_discount=settings.bundle_discount,
    )
    recommended, reasons = recommend(
        AccountView(
            name=facts.name,
            orientation=facts.orientation,
            currency=facts.currency,
            matched_needs=matched,
            position=pareto_position(session, facts),
            band=band.band,
            band_score=band.score,
        )
    )
    # A new proposal replaces the account's earlier drafts: only the latest can be accepted.
    session.execute(
        update(Proposal)
        .where(Proposal.account_id == account_id, Proposal.status == "draft")
        .values(status="superseded", version=Proposal.version + 1)
        .execution_options(synchronize_session=False)
    )
    proposal = Proposal(
        account_id=account_id,
        status="draft",
        recommended=recommended,
        reasons=reasons,
        options=[_option_json(option) for option in options],
        currency=facts.currency,
        degraded=["health"] if band.band is None else [],
        created_at=utcnow(),
    )
    session.add(proposal)
    session.flush()
    events.offer_made(session, proposal)
    session.commit()
    return proposal


def get_proposal(*, session: Session, caller: Caller, proposal_id: str) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not caller.may_see(proposal.account_id):
        raise NotFound("Proposal not found.")
    return proposal


def list_proposals(
    *,
    session: Session,
    caller: Caller,
    page: int,
    per_page: int,
    account_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    return list_of_accounts(
        session,
        Proposal,
        caller=caller,
        order_by=(Proposal.created_at.desc(), Proposal.id),
        page=page,
        per_page=per_page,
        account_id=account_id,
        status=status,
    )


def _same_service(item: dict[str, Any], held: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The held item of the same family (another tier of one service), if any."""
    return next((other for other in held if other["family"] == item["family"]), None)


def accept_proposal(
    *,
    session: Session,
    caller: Caller,
    proposal_id: str,
    strategy: str,
    optional_item_ids: list[str],
) -> Agreement:
    proposal = get_proposal(session=session, caller=caller, proposal_id=proposal_id)
    if proposal.status != "draft":
        raise Conflict(
            f"The proposal is {proposal.status}; only the account's latest draft proposal "
            "can be accepted. Build a new proposal."
        )
    option = next(o for o in proposal.options if o["strategy"] == strategy)
    optional = {item["catalog_item_id"]: item for item in option["items"] if not item["included"]}
    included = [item for item in option["items"] if item["included"]]
    errors: dict[str, list[str]] = {}
    chosen: list[dict[str, Any]] = []
    for index, item_id in enumerate(optional_item_ids):
        if item_id not in optional:
            errors[f"optional_item_ids.{index}"] = [
                f"Not an optional item of the {strategy} option."
            ]
        elif any(item["catalog_item_id"] == item_id for item in chosen):
            errors[f"optional_item_ids.{index}"] = ["Chosen twice."]
        elif clash := _same_service(optional[item_id], [*included, *chosen]):
            errors[f"optional_item_ids.{index}"] = [
                f"The agreement would already hold {clash['name']}, another tier of the same "
                "service: an agreement holds one tier of each service."
            ]
        else:
            chosen.append(optional[item_id])
    if errors:
        raise InvalidChoice(
            "Some optional items are not optional items of this option: " + ", ".join(errors) + ".",
            errors=errors,
        )
    price = cents(Decimal(option["price"]) + total([Decimal(i["price"]) for i in chosen]))
    cost = cents(Decimal(option["cost_to_serve"]) + total([Decimal(i["cost"]) for i in chosen]))
    today = utcnow().date()

    previous = active_agreement(session, proposal.account_id)
    if previous is not None:
        previous.status = "ended"
        previous.ended_on = today
        session.flush()  # before the new one: one active agreement per account (unique index)
        events.agreement_ended(session, previous)
    agreement = Agreement(
        account_id=proposal.account_id,
        proposal_id=proposal.id,
        strategy=strategy,
        items=[
            {
                "catalog_item_id": item["catalog_item_id"],
                "code": item["code"],
                "name": item["name"],
                "kind": item["kind"],
                "optional": not item["included"],
                "price": item["price"],
                "cost": item["cost"],
                "family": item["family"],
                "level": item["level"],
                "commitment": item["commitment"],
            }
            for item in [*included, *chosen]
        ],
        price=price,
        cost_to_serve=cost,
        currency=proposal.currency,
        commitments=tightest([item["commitment"] or {} for item in [*included, *chosen]]),
        status="active",
        starts_on=today,
        created_at=utcnow(),
    )
    session.add(agreement)
    session.flush()
    events.agreement_activated(session, agreement)
    proposal.status = "accepted"
    proposal.accepted_at = utcnow()
    session.commit()
    return agreement
