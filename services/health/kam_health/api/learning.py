"""Outcomes, backtests of the scorecard, and fitted scorecard proposals."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import page_of
from kam_common.scope import request_caller
from kam_common.web import Blueprint, problem_doc, reads_through
from kam_health.api import lookup
from kam_health.api.schemas import (
    BacktestArgs,
    BacktestSchema,
    OutcomeCreateSchema,
    OutcomeListArgs,
    OutcomeSchema,
    ProposalCreateSchema,
    ScorecardChangedSchema,
    ScorecardProposalSchema,
)
from kam_health.services import learning

blp = Blueprint(
    "health_learning",
    __name__,
    url_prefix="/api/v1/health",
    description="Outcomes, and how well scores foretold them",
)


@blp.route("/outcomes")
class Outcomes(MethodView):
    @blp.arguments(OutcomeListArgs, location="query")
    @blp.response(200, page_of(OutcomeSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Outcomes, the latest first (filters: `account_id`, `outcome`)."""
        return learning.list_outcomes(session=request_session(), caller=request_caller(), **args)

    @blp.arguments(OutcomeCreateSchema)
    @blp.response(201, OutcomeSchema)
    @reads_through(blp, "accounts")
    def post(self, data: dict[str, Any]) -> Any:
        """Record how a relationship turned out (renewed, expanded, contracted, churned)."""
        return learning.record_outcome(
            session=request_session(), caller=request_caller(), data=data, lookup=lookup()
        )


@blp.route("/scorecard/backtest")
class Backtest(MethodView):
    @blp.arguments(BacktestArgs, location="query")
    @blp.response(200, BacktestSchema)
    @problem_doc(blp, 404, "No such scorecard version.")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """How well a version's scores `horizon_days` before each outcome foretold churn: AUC,
        churn rate per band, and a warning when the outcomes are too few to trust."""
        return learning.backtest(session=request_session(), **args)


@blp.route("/scorecard/proposals")
class Proposals(MethodView):
    @blp.arguments(ProposalCreateSchema)
    @blp.response(201, ScorecardProposalSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Fit weights, band thresholds and half-life to the outcomes, with the cross-validated
        backtest of the version in force and of the proposal, explained. Too few outcomes: a
        422 naming `outcomes`, and nothing proposed."""
        return learning.propose(session=request_session(), caller=request_caller(), **data)


@blp.route("/scorecard/proposals/<proposal_id>")
class ProposalById(MethodView):
    @blp.response(200, ScorecardProposalSchema)
    @problem_doc(blp, 404, "No such proposal.")
    def get(self, proposal_id: str) -> Any:
        """A proposal, with its backtests and explanation."""
        return learning.get_proposal(session=request_session(), proposal_id=proposal_id)


@blp.route("/scorecard/proposals/<proposal_id>/adopt")
class AdoptProposal(MethodView):
    @blp.response(201, ScorecardChangedSchema)
    @problem_doc(blp, 404, "No such proposal.")
    @problem_doc(blp, 409, "The proposal was already adopted.")
    def post(self, proposal_id: str) -> dict[str, Any]:
        """The proposal becomes a new scorecard version; every account is rescored under it,
        and its history too (in the background)."""
        return learning.adopt_proposal(
            session=request_session(), caller=request_caller(), proposal_id=proposal_id
        )
