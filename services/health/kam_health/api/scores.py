"""Scores, history, overrides, the portfolio and the scorecard."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import PageArgs, page_of
from kam_common.scope import request_caller
from kam_common.web import Blueprint, reads_through
from kam_health.api import lookup
from kam_health.api.schemas import (
    HistoryArgs,
    HistorySchema,
    OverrideCreateSchema,
    OverrideSchema,
    PortfolioArgs,
    PortfolioSchema,
    ScorecardChangedSchema,
    ScorecardInputSchema,
    ScorecardPutArgs,
    ScorecardSchema,
    ScoreSchema,
    SegmentScorecardSchema,
)
from kam_health.services import judgement, views

blp = Blueprint(
    "health_scores", __name__, url_prefix="/api/v1/health", description="Relationship health"
)


@blp.route("/accounts/<account_id>")
class AccountScore(MethodView):
    @blp.response(200, ScoreSchema)
    @reads_through(blp, "accounts")
    def get(self, account_id: str) -> dict[str, Any]:
        """The current score with its components, evidence, drivers, trend and override."""
        return views.current_score(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            lookup=lookup(),
        )


@blp.route("/accounts/<account_id>/history")
class AccountHistory(MethodView):
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistorySchema)
    @reads_through(blp, "accounts")
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """Score points, oldest first (filters: `from`, `to`)."""
        return views.history(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            lookup=lookup(),
            **args,
        )


@blp.route("/accounts/<account_id>/override")
class AccountOverride(MethodView):
    @blp.arguments(OverrideCreateSchema)
    @blp.response(201, OverrideSchema)
    @reads_through(blp, "accounts")
    def post(self, data: dict[str, Any], account_id: str) -> dict[str, Any]:
        """An executive's judgement, shown beside the computed score until `expires_on`."""
        return judgement.set_override(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            data=data,
            lookup=lookup(),
        )

    @blp.response(204)
    @reads_through(blp, "accounts")
    def delete(self, account_id: str) -> None:
        """Withdraw the override in force before it expires (404 when there is none)."""
        judgement.withdraw_override(
            session=request_session(),
            caller=request_caller(),
            account_id=account_id,
            lookup=lookup(),
        )


@blp.route("/portfolio")
class Portfolio(MethodView):
    @blp.arguments(PortfolioArgs, location="query")
    @blp.response(200, PortfolioSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Counts by band, average, revenue at risk and top declines over visible accounts,
        and the accounts themselves, worst first (filters: `band`, `segment`, `tier`, `owner`)."""
        return views.portfolio(session=request_session(), caller=request_caller(), **args)


@blp.route("/scorecard")
class ScorecardView(MethodView):
    @blp.response(200, ScorecardSchema)
    def get(self) -> Any:
        """Weights, window, half-life and band thresholds in force."""
        return judgement.get_scorecard(session=request_session())

    @blp.arguments(ScorecardInputSchema)
    @blp.arguments(ScorecardPutArgs, location="query")
    @blp.response(200, ScorecardChangedSchema)
    def put(self, data: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        """A new scorecard version; every active account is rescored under it, and its
        history too (in the background). `dry_run=true`: which accounts would change band,
        nothing saved."""
        return judgement.replace_scorecard(
            session=request_session(), caller=request_caller(), data=data, **args
        )


@blp.route("/scorecard/versions")
class ScorecardVersions(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(ScorecardSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every scorecard version, the newest first."""
        return judgement.list_scorecards(session=request_session(), **args)


@blp.route("/scorecard/versions/<int:version>")
class ScorecardVersion(MethodView):
    @blp.response(200, ScorecardSchema)
    def get(self, version: int) -> Any:
        """One scorecard version, past or in force: what a score's `scorecard_version` meant."""
        return judgement.get_scorecard_version(session=request_session(), version=version)


@blp.route("/scorecards/<segment>")
class SegmentScorecard(MethodView):
    @blp.response(200, SegmentScorecardSchema)
    def get(self, segment: str) -> dict[str, Any]:
        """The segment's own scorecard in force, else the default (`fallback: true`); a
        segment no account is in is a 404."""
        return judgement.get_segment_scorecard(session=request_session(), segment=segment)

    @blp.arguments(ScorecardInputSchema)
    @blp.arguments(ScorecardPutArgs, location="query")
    @blp.response(200, ScorecardChangedSchema)
    def put(self, data: dict[str, Any], args: dict[str, Any], segment: str) -> dict[str, Any]:
        """A new version of the segment's own scorecard; its accounts are rescored under it,
        and their history too (in the background). `dry_run=true`: which would change band."""
        return judgement.replace_segment_scorecard(
            session=request_session(), caller=request_caller(), segment=segment, data=data, **args
        )
