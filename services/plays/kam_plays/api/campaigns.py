"""/api/v1/campaigns, the tracking links (`/t/...`, public through the gateway) and the
contact-pressure answer other services ask for."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, current_app, redirect, request
from flask.views import MethodView

from kam_common.db import request_session
from kam_common.pagination import PageArgs, page_of
from kam_common.scope import request_caller
from kam_common.web import Blueprint, problem_doc, reads_through
from kam_plays.api import lookup
from kam_plays.api.schemas import (
    AccountCampaignSchema,
    CampaignCreateSchema,
    CampaignListArgs,
    CampaignSchema,
    PressureSchema,
)
from kam_plays.mail import Mailer, Tracking
from kam_plays.services import campaigns as use_cases
from kam_plays.services.pressure import account_pressure

blp = Blueprint("campaigns", __name__, description="Campaigns: mail measured by its links")
# One transparent pixel.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# A send answers once this many messages are handed over; the worker sends the rest.
INLINE_SEND_LIMIT = 200


def mailer() -> Mailer:
    found: Mailer = current_app.extensions["kam_mailer"]
    return found


def tracking() -> Tracking:
    found: Tracking = current_app.extensions["kam_tracking"]
    return found


@blp.route("/api/v1/campaigns")
class Campaigns(MethodView):
    @blp.arguments(CampaignCreateSchema)
    @blp.response(201, CampaignSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """A draft. An audience nobody matches, an unknown placeholder or a body over 100,000
        characters is a 422 naming the field."""
        campaign = use_cases.create_campaign(
            session=request_session(), caller=request_caller(), data=data
        )
        return use_cases.campaign_views(request_session(), [campaign], detail=True)[0]

    @blp.arguments(CampaignListArgs, location="query")
    @blp.response(200, page_of(CampaignSchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Campaigns, newest first, with their stats (filters: `status`, `kind`)."""
        found = use_cases.list_campaigns(session=request_session(), **args)
        return {**found, "items": use_cases.campaign_views(request_session(), found["items"])}


@blp.route("/api/v1/campaigns/<campaign_id>")
class CampaignById(MethodView):
    @blp.response(200, CampaignSchema)
    def get(self, campaign_id: str) -> Any:
        """A campaign: status, audience size, everyone held back with the reason, stats in
        all and per account."""
        campaign = use_cases.get_campaign(session=request_session(), campaign_id=campaign_id)
        return use_cases.campaign_views(request_session(), [campaign], detail=True)[0]


@blp.route("/api/v1/campaigns/<campaign_id>/send", methods=["POST"])
@blp.response(202, CampaignSchema)
@problem_doc(blp, 409, "The campaign was sent already.")
def send(campaign_id: str) -> Any:
    """Choose the recipients (holding back, with the reason, the unsubscribed and, for a
    promotional campaign, unhappy or recently solicited accounts and people) and send. The
    campaign is `sending` until every message is handed to the mail server; while that server
    is down it stays `sending` and is retried."""
    session = request_session()
    campaign = use_cases.send_campaign(
        session=session, caller=request_caller(), campaign_id=campaign_id
    )
    use_cases.deliver_campaign(
        session, campaign.id, mailer=mailer(), tracking=tracking(), limit=INLINE_SEND_LIMIT
    )
    campaign = use_cases.get_campaign(session=session, campaign_id=campaign_id)
    session.refresh(campaign)
    return use_cases.campaign_views(session, [campaign], detail=True)[0]


@blp.route("/api/v1/accounts/<account_id>/campaigns")
class AccountCampaigns(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(AccountCampaignSchema))
    def get(self, args: dict[str, Any], account_id: str) -> dict[str, Any]:
        """The campaigns meant for the account's people, with that account's stats."""
        return use_cases.account_campaigns(
            session=request_session(), caller=request_caller(), account_id=account_id, **args
        )


def _recording() -> bool:
    # A HEAD (a link checker, a mail scanner asking what is there) records nothing.
    return request.method == "GET"


_TRACKING_DOC: dict[str, Any] = {"security": []}


@blp.route("/t/o/<token>")
class OpenPixel(MethodView):
    @blp.doc(
        **_TRACKING_DOC,
        # In words, not as a media type: generated clients have nothing to parse in a pixel.
        responses={"200": {"description": "A transparent 1×1 GIF image (`image/gif`)"}},
    )
    def get(self, token: str) -> Response:
        """A message was opened (its image loaded). An altered token is a 404 that records
        nothing. No API key: the link is in the mail."""
        use_cases.opened(
            session=request_session(), tracking=tracking(), token=token, record=_recording()
        )
        return Response(PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store"})


@blp.route("/t/c/<token>")
class ClickLink(MethodView):
    @blp.doc(**_TRACKING_DOC, responses={"302": {"description": "To the link's target"}})
    def get(self, token: str) -> Response:
        """A link in a message was followed: counted, then redirected to its target."""
        target = use_cases.clicked(
            session=request_session(), tracking=tracking(), token=token, record=_recording()
        )
        response: Response = redirect(target, code=302)  # type: ignore[assignment]
        return response


@blp.route("/t/u/<token>")
class UnsubscribeLink(MethodView):
    @blp.doc(
        **_TRACKING_DOC,
        responses={"200": {"description": "An HTML page (`text/html`) confirming it"}},
    )
    def get(self, token: str) -> Response:
        """The person asks for no more campaigns: honoured for ever."""
        use_cases.unsubscribed(
            session=request_session(), tracking=tracking(), token=token, record=_recording()
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Unsubscribed</title>"
            "</head><body><p>You are unsubscribed: you will receive no more of these "
            "messages.</p></body></html>"
        )
        return Response(page, mimetype="text/html")


@blp.route("/internal/pressure/<account_id>")
class Pressure(MethodView):
    @blp.response(200, PressureSchema)
    @reads_through(blp, "accounts")
    @blp.doc(tags=["internal"])
    def get(self, account_id: str) -> dict[str, Any]:
        """The contact-pressure rule for one account: whether to hold offers back, and why
        (asked by offerings before it suggests)."""
        return account_pressure(session=request_session(), account_id=account_id, lookup=lookup())
