"""Guiding deals through a real Chromium: the manager's review-and-forecast journey and the seller's
strategy-and-stakeholders journey, each page audited like the other journeys."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from firstline.core.templatetags.firstline import money
from firstline.deals.models import ActionItem, DealReview, ForecastCall, StrategyCanvas
from firstline.deals.services import risk_refresh, stage_statistics_refresh
from firstline.pipeline.models import Opportunity
from firstline.relationships.models import Stakeholder

pytestmark = pytest.mark.browser


@pytest.fixture
def risky_deal(world):
    """Alice's deal, past qualification, past its close date and with nobody on the map."""
    deal = Opportunity.objects.get(pk=world.opportunity_a.pk)
    deal.stage = world.stages["propose"]
    deal.close_date = timezone.localdate() - timedelta(days=4)
    deal.save()
    stage_statistics_refresh()
    risk_refresh()
    return deal


def test_a_manager_reviews_a_risky_deal_and_adjusts_the_forecast(
    page, world, risky_deal, sign_in, check_page, screenshot, publish_screenshot
):
    sign_in("manager_1")
    page.get_by_role("link", name="Deal reviews").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deal reviews")
    row = page.locator("tbody tr", has=page.get_by_role("link", name="Acme expansion"))
    expect(row).to_contain_text("Past close date")
    check_page()
    screenshot("10-review-queue")

    row.get_by_role("link", name="Acme expansion").click()
    expect(page.get_by_role("heading", name="Why this deal is at risk")).to_be_visible()
    risks = page.locator(".risk-list")
    expect(risks).to_contain_text("Expected to close on")
    expect(risks).to_contain_text("and still open")
    expect(risks).to_contain_text("No economic buyer and no champion identified on the deal.")
    check_page()
    publish_screenshot(screenshot("11-risky-deal"), "deal-risks.png")

    page.get_by_role("link", name="Review this deal").click()
    page.get_by_label("Notes").fill("Nobody in finance knows us yet; the close date was a guess.")
    page.get_by_label("Agreed next step").fill("Meet the CFO with the business case")
    page.get_by_label("By", exact=True).first.fill((timezone.localdate() + timedelta(days=7)).isoformat())
    check_page()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Review recorded; the next steps are on the deal.")).to_be_visible()
    expect(page.locator(".review")).to_contain_text("Nobody in finance knows us yet")
    expect(page.get_by_text("Meet the CFO with the business case")).to_be_visible()
    review = DealReview.objects.get()
    assert review.reviewer == world.people["manager_1"] and "Past close date" in review.risks_discussed
    assert ActionItem.objects.get().owner == world.people["seller_a"]
    check_page()

    page.get_by_role("link", name="Forecast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forecast: East")
    expect(page.get_by_text("Projected percent to plan")).to_be_visible()
    adjust = page.locator("form", has=page.get_by_role("button", name="Save team call"))
    adjust.get_by_label("Commit").fill("150000")
    adjust.get_by_label("Best case").fill("210000")
    adjust.get_by_label("Note").fill("Acme slips to next quarter")
    check_page()
    adjust.get_by_role("button", name="Save team call").click()
    expect(page.get_by_text("Call saved; earlier calls stay in the history.")).to_be_visible()
    commit = page.locator(".kpi", has_text="Commit call")
    expect(commit).to_contain_text(money(Decimal(150_000)))
    expect(commit).to_contain_text("manager's call")
    call = ForecastCall.objects.get(team=world.east)
    assert (call.commit, call.author) == (150_000, world.people["manager_1"])
    check_page()
    screenshot("12-forecast")


def test_a_seller_fills_the_strategy_canvas_and_the_stakeholder_map(
    page, world, risky_deal, sign_in, check_page, screenshot, publish_screenshot
):
    sign_in("seller_a")
    page.goto(f"/opportunities/{risky_deal.pk}/")
    page.get_by_role("link", name=re.compile("^Deal plan")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme expansion")

    page.get_by_role("link", name="Write the strategy").click()
    page.get_by_label("Business needs → our solutions").fill(
        "One forecast everyone trusts → Forecast Studio\nMonth-end takes nine days → Insight Cloud dashboards"
    )
    page.get_by_label("Competitor", exact=True).fill("Contoso BI")
    page.get_by_label("Their weaknesses").fill("No finance-grade forecasting")
    page.get_by_label("Options → probable consequences").fill(
        "Paid pilot → shorter decision, smaller first order"
    )
    page.get_by_label("Decision taken").fill("Paid pilot signed by the CFO")
    check_page()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Strategy saved as version 1.")).to_be_visible()
    expect(page.get_by_text("One forecast everyone trusts → Forecast Studio")).to_be_visible()
    canvas = StrategyCanvas.objects.get()
    assert canvas.needs[1] == {"need": "Month-end takes nine days", "solution": "Insight Cloud dashboards"}

    for name, role, influence, stance in (
        ("Paula Payne", "Economic buyer", "5", "Neutral"),
        ("Chris Champion", "Coach / champion", "4", "Advocate"),
    ):
        page.get_by_role("link", name="Add a stakeholder").click()
        page.get_by_label("New contact's name").fill(name)
        page.get_by_label("Role").select_option(label=role)
        page.get_by_label("Influence").select_option(influence)
        page.get_by_label("Stance").select_option(label=stance)
        check_page()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Added to the stakeholder map.")).to_be_visible()

    picture = page.get_by_role("img", name="Stakeholders of Acme expansion")
    expect(picture).to_be_visible()
    expect(page.locator("table", has_text="Paula Payne")).to_contain_text("Economic buyer")
    expect(page.locator(".risk-list")).not_to_contain_text("No economic buyer")
    assert Stakeholder.objects.filter(opportunity=risky_deal).count() == 2
    check_page()
    publish_screenshot(screenshot("13-deal-plan"), "deal-plan.png")
