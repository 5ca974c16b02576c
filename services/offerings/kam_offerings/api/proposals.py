"""/api/v1/offerings/proposals and /agreements."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller
from kam_common.web import Blueprint, problem_doc, reads_through
from kam_offerings.api import readers, settings
from kam_offerings.api.schemas import (
    AcceptSchema,
    AgreementEndSchema,
    AgreementListArgs,
    AgreementSchema,
    ProposalCreateSchema,
    ProposalListArgs,
    ProposalSchema,
)
from kam_offerings.services import agreements, proposals

blp = Blueprint(
    "proposals",
    __name__,
    url_prefix="/api/v1/offerings",
    description="Proposals with three options, and the agreements they become",
)


@blp.route("/proposals")
class Proposals(MethodView):
    @blp.arguments(ProposalListArgs, location="query")
    @blp.response(200, page_of(ProposalSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List proposals, newest first (filters: `account_id`, `status`)."""
        return proposals.list_proposals(session=request_session(), caller=request_caller(), **args)

    @blp.arguments(ProposalCreateSchema)
    @blp.response(201, ProposalSchema)
    @reads_through(blp, "accounts")
    def post(self, data: dict[str, Any]) -> Any:
        """Build the three options for an account and recommend one; earlier drafts of the
        account are superseded."""
        return proposals.create_proposal(
            session=request_session(),
            caller=request_caller(),
            account_id=data["account_id"],
            settings=settings(),
            readers=readers(),
        )


@blp.route("/proposals/<proposal_id>")
class ProposalById(MethodView):
    @blp.response(200, ProposalSchema)
    def get(self, proposal_id: str) -> Any:
        """Read a proposal."""
        return proposals.get_proposal(
            session=request_session(), caller=request_caller(), proposal_id=proposal_id
        )


@blp.route("/proposals/<proposal_id>/accept")
class AcceptProposal(MethodView):
    @blp.arguments(AcceptSchema)
    @blp.response(201, AgreementSchema)
    def post(self, data: dict[str, Any], proposal_id: str) -> Any:
        """Accept one option (with chosen optional items): the account's new active agreement;
        its previous one ends."""
        return proposals.accept_proposal(
            session=request_session(),
            caller=request_caller(),
            proposal_id=proposal_id,
            strategy=data["strategy"],
            optional_item_ids=data["optional_item_ids"],
        )


@blp.route("/agreements")
class Agreements(MethodView):
    @blp.arguments(AgreementListArgs, location="query")
    @blp.response(200, page_of(AgreementSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List agreements, newest first (filters: `account_id`, `status`)."""
        return agreements.list_agreements(
            session=request_session(), caller=request_caller(), **args
        )


@blp.route("/agreements/<agreement_id>")
class AgreementById(MethodView):
    @blp.response(200, AgreementSchema)
    @problem_doc(blp, 404, "No such agreement (or not one the caller may see).")
    def get(self, agreement_id: str) -> Any:
        """Read an agreement: its items, price, commitments and status."""
        return agreements.get_agreement(
            session=request_session(), caller=request_caller(), agreement_id=agreement_id
        )


@blp.route("/agreements/<agreement_id>/end")
class EndAgreement(MethodView):
    @blp.arguments(AgreementEndSchema)
    @blp.response(200, AgreementSchema)
    @problem_doc(blp, 404, "No such agreement (or not one the caller may see).")
    @problem_doc(blp, 409, "The agreement has already ended.")
    def post(self, data: dict[str, Any], agreement_id: str) -> Any:
        """End the active agreement with its outcome (renewed, expanded, contracted, churned):
        health records the outcome and learns from it."""
        return agreements.end_agreement(
            session=request_session(),
            caller=request_caller(),
            agreement_id=agreement_id,
            data=data,
        )
