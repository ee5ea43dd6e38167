"""Authorization-matrix expectations for deal guidance and relationships (merged into ROUTES)."""

from django.utils import timezone

from firstline.core.periods import fiscal_calendar

MEDDICC_FORM = {
    f"score_{key}": 2
    for key in (
        "metrics",
        "economic_buyer",
        "decision_criteria",
        "decision_process",
        "identify_pain",
        "champion",
        "competition",
    )
}
STAKEHOLDER_FORM = {
    "new_name": "Pat Buyer",
    "role": "economic_buyer",
    "influence": 5,
    "stance": 1,
    "strength": 3,
}


def _quarter() -> str:
    return fiscal_calendar().quarter_of(timezone.localdate()).label


def deal_routes() -> dict:
    from tests.test_authorization_matrix import (
        ADMIN,
        ALICE_CIRCLE,
        ALICE_MANAGERS,
        SIGNED_IN,
        Check,
        Route,
        admin_only_create,
        api_detail,
        api_list,
    )

    def page(obj, allowed=ALICE_CIRCLE, post=None):
        checks = [Check("get", allowed, 200)]
        if post is not None:
            checks.append(Check("post", allowed, 302, data=post))
        return Route(args=(obj,), checks=checks)

    def post_only(obj, data):
        return Route(args=(obj,), checks=[Check("post", ALICE_CIRCLE, 302, data=data)])

    def read_only(obj, visible):
        return Route(
            args=(obj,),
            checks=[
                Check("get", visible, 200, anonymous=401),
                Check("patch", SIGNED_IN, 405, anonymous=401, data={}),
            ],
        )

    return {
        "deals:deal": page("opportunity_a"),
        "deals:stage_move": page(
            "opportunity_a",
            post=lambda world, _objects: {
                "stage": world.stages["propose"].pk,
                "reason": "The customer asked.",
            },
        ),
        "deals:criteria": post_only("opportunity_a", {}),
        "deals:scorecard": page("opportunity_a", post=MEDDICC_FORM),
        "deals:canvas": page("opportunity_a", post={"needs": "Faster close → Forecast Studio"}),
        # Only people above a deal's owner review it: Alice may not review her own deal.
        "deals:review_create": page(
            "opportunity_a",
            allowed=ALICE_MANAGERS,
            post=lambda world, _objects: {
                "notes": "Good",
                "next_step": "Call the CFO",
                "next_step_owner": world.people["seller_a"].pk,
            },
        ),
        "deals:category": post_only("opportunity_a", {"category": "commit"}),
        "deals:action_item_done": post_only("action_item_a", {"done": "1"}),
        "deals:review_queue": Route(checks=[Check("get", SIGNED_IN, 200)]),
        "deals:forecast": Route(checks=[Check("get", SIGNED_IN, 200)]),
        "deals:forecast_call": Route(
            checks=[
                Check(
                    "post",
                    SIGNED_IN,
                    302,
                    data=lambda world, _objects: {
                        "for": "me",
                        "period": _quarter(),
                        "own-commit": "1000",
                        "own-best_case": "2000",
                    },
                )
            ]
        ),
        "deals:process": Route(checks=[Check("get", SIGNED_IN, 200)]),
        "relationships:account_map": page("account_a"),
        "relationships:account_stakeholder_add": page("account_a", post=STAKEHOLDER_FORM),
        "relationships:deal_stakeholder_add": page("opportunity_a", post=STAKEHOLDER_FORM),
        "relationships:deal_partner_add": page(
            "opportunity_a",
            post=lambda world, _objects: {"person": world.people["seller_a"].pk, "part": "sales_engineer"},
        ),
        "relationships:stakeholder_update": page(
            "stakeholder_a", post={"role": "champion", "influence": 4, "stance": 2, "strength": 4}
        ),
        "api:forecast": Route(checks=[Check("get", SIGNED_IN, 400, anonymous=401)]),
        "api:exitcriterion-list": api_list(
            "exit_criterion",
            SIGNED_IN,
            admin_only_create(
                lambda world, _objects: {"stage": world.stages["propose"].pk, "text": "A proposal is sent."}
            ),
        ),
        "api:exitcriterion-detail": api_detail(
            "exit_criterion", SIGNED_IN, ADMIN, {"text": "A need is dated."}
        ),
        "api:framework-list": api_list(
            "framework",
            SIGNED_IN,
            admin_only_create({"name": "SPICED", "elements": [{"key": "s", "label": "Situation"}]}),
        ),
        "api:framework-detail": api_detail("framework", SIGNED_IN, ADMIN, {"name": "MEDDICC"}),
        "api:dealscorecard-list": api_list("scorecard_a", ALICE_CIRCLE),
        "api:dealscorecard-detail": api_detail(
            "scorecard_a", ALICE_CIRCLE, ALICE_CIRCLE, {"scores": {"metrics": 2}}
        ),
        "api:canvas-list": api_list(
            "canvas_a",
            ALICE_CIRCLE,
            Check(
                "post",
                ALICE_CIRCLE,
                201,
                denied=400,
                anonymous=401,
                data=lambda world, _objects: {
                    "opportunity": world.opportunity_a.pk,
                    "facts": "Budget approved.",
                },
            ),
        ),
        "api:canvas-detail": read_only("canvas_a", ALICE_CIRCLE),
        "api:risksignal-list": api_list("risk_signal_a", ALICE_CIRCLE),
        "api:risksignal-detail": read_only("risk_signal_a", ALICE_CIRCLE),
        "api:stagestatistic-list": api_list("stage_statistic", SIGNED_IN),
        "api:stagestatistic-detail": read_only("stage_statistic", SIGNED_IN),
        "api:dealreview-list": api_list(
            "review_a",
            ALICE_CIRCLE,
            Check(
                "post",
                ALICE_MANAGERS,
                201,
                denied=400,
                forbidden=frozenset({"seller_a"}),
                anonymous=401,
                data=lambda world, _objects: {"opportunity": world.opportunity_a.pk, "notes": "Reviewed."},
            ),
        ),
        "api:dealreview-detail": read_only("review_a", ALICE_CIRCLE),
        "api:dealactionitem-list": api_list("action_item_a", ALICE_CIRCLE),
        "api:dealactionitem-detail": api_detail(
            "action_item_a", ALICE_CIRCLE, ALICE_CIRCLE, {"done_on": "2026-01-05"}
        ),
        "api:dealforecast-list": api_list("deal_forecast_a", ALICE_CIRCLE),
        "api:dealforecast-detail": api_detail(
            "deal_forecast_a", ALICE_CIRCLE, ALICE_CIRCLE, {"category": "commit"}
        ),
        # A seller's call is the seller's own: her managers see it but make their own team call instead.
        "api:forecastcall-list": api_list(
            "call_a",
            ALICE_CIRCLE,
            Check(
                "post",
                frozenset({"seller_a", "admin"}),
                201,
                denied=400,
                forbidden=frozenset(
                    {"manager_1", "executive", "enablement"}
                ),  # enablement sees the directory
                anonymous=401,
                data=lambda world, _objects: {
                    "period": _quarter(),
                    "person": world.people["seller_a"].pk,
                    "commit": "1000",
                    "best_case": "2000",
                },
            ),
        ),
        "api:forecastcall-detail": read_only("call_a", ALICE_CIRCLE),
        "api:contact-list": api_list("contact_a", ALICE_CIRCLE),
        "api:contact-detail": api_detail(
            "contact_a", ALICE_CIRCLE, ALICE_CIRCLE, {"title": "Chief Financial Officer"}
        ),
        "api:stakeholder-list": api_list("stakeholder_a", ALICE_CIRCLE),
        "api:stakeholder-detail": api_detail("stakeholder_a", ALICE_CIRCLE, ALICE_CIRCLE, {"influence": 4}),
        "api:internalpartner-list": api_list("partner_a", ALICE_CIRCLE),
        "api:internalpartner-detail": api_detail(
            "partner_a", ALICE_CIRCLE, ALICE_CIRCLE, {"contribution": "Demo"}
        ),
    }
