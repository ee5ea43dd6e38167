"""The journeys that matter, driven through a real Chromium: each page on the way is audited for
console errors, Content-Security-Policy violations and axe-core accessibility violations."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from firstline.core import formatting
from firstline.core.periods import fiscal_calendar
from firstline.demo.generator import generate_demo
from firstline.pipeline.models import Opportunity

pytestmark = pytest.mark.browser


def fact(page, term: str):
    """The value of one fact in a page's <dl class="facts">."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{term}$")).locator(
        "xpath=following-sibling::dd"
    )


def test_a_manager_signs_in_and_drills_from_the_team_to_a_seller_to_a_deal(
    page, world, password, check_page, screenshot
):
    quarter = fiscal_calendar().quarter_of(timezone.localdate())
    Opportunity.objects.create(
        name="Acme pilot",
        account=world.account_a,
        owner=world.people["seller_a"],
        amount=Decimal(90_000),
        stage=world.stages["won"],
        created=quarter.start - timedelta(days=60),
        close_date=quarter.start,
        closed_on=quarter.start,
    )
    acme_expansion = world.opportunity_a
    open_amount = acme_expansion.amount if acme_expansion.close_date in quarter else Decimal(0)
    open_this_quarter = formatting.money_compact(open_amount)
    coverage = formatting.ratio(open_amount / Decimal(210_000))  # of the 210 K still to win

    page.goto("/login/")
    check_page()
    screenshot("00-sign-in")
    page.get_by_label("Username").fill("manager_1")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("East")
    expect(page.get_by_role("link", name="My team")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Sellers (2)")).to_be_visible()
    alice = page.locator("tbody tr", has=page.get_by_role("link", name="Alice Archer"))
    bob = page.locator("tbody tr", has=page.get_by_role("link", name="Bob Baker"))
    # Closed won, target, to plan, attainment (a bar), close ratio, open pipeline, coverage.
    expect(alice.locator("td")).to_have_text(
        ["$90K", "$300K", "30%", "", "100%", open_this_quarter, coverage]
    )
    expect(bob.locator("td")).to_have_text(
        ["$0", "—", "no data", "no target set", "no data", "$0", "no data"]
    )
    check_page()
    screenshot("01-my-team")

    alice.get_by_role("link", name="Alice Archer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Archer")
    deal = page.locator("tbody tr", has=page.get_by_role("link", name="Acme expansion"))
    expect(deal.locator("td")).to_have_text(
        ["Acme Corp", "Prospect", "$120K", formatting.date(acme_expansion.close_date)]
    )
    check_page()
    screenshot("02-seller")

    page.get_by_role("link", name="Acme expansion").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{acme_expansion.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme expansion")
    expect(fact(page, "Stage")).to_have_text("Prospect 10%")
    expect(fact(page, "Amount")).to_have_text("$120,000")
    expect(page.get_by_role("heading", name="To leave Prospect")).to_be_visible()
    check_page()
    screenshot("03-opportunity")


def test_signing_in_works_by_keyboard_alone_and_the_skip_link_is_the_first_tab_stop(
    page, world, password, check_page
):
    skip_link = page.get_by_role("link", name="Skip to content")
    page.goto("/login/")
    # Django's login form autofocuses Username; the skip link is the only stop before the brand.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement === document.body"), "something precedes the skip link"

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("manager_1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    # The browser keeps the #main fragment across the redirect after signing in.
    expect(page).to_have_url(re.compile(r"/team/(#main)?$"))

    # Without autofocus the first Tab reveals the skip link, and following it moves focus past the
    # navigation to the first control of the page's content.
    page.goto("/team/")
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Period")).to_be_focused()
    check_page()


def test_the_opportunity_list_filters_in_place_and_back_restores_the_previous_filters(
    page, world, sign_in, check_page, screenshot
):
    today = timezone.localdate()
    Opportunity.objects.create(
        name="Acme renewal",
        account=world.account_a,
        owner=world.people["seller_b"],
        amount=Decimal(40_000),
        stage=world.stages["won"],
        created=today - timedelta(days=90),
        close_date=today - timedelta(days=5),
        closed_on=today - timedelta(days=5),
    )
    sign_in("manager_1")
    page.get_by_role("link", name="Opportunities").click()
    names = page.locator("#results tbody th")
    # The list opens on open deals; the won renewal is one choice away.
    expect(page.get_by_label("Status")).to_have_value("open")
    expect(names).to_have_text(["Acme expansion"])
    check_page()
    # A full page load would forget this; an htmx swap keeps it.
    page.evaluate("() => { window.stillTheSameDocument = true }")
    page.get_by_label("Status").select_option(label="All")
    expect(names).to_have_text(["Acme renewal", "Acme expansion"])

    with page.expect_response(re.compile(r"/opportunities/\?.*outcome=won")) as won:
        page.get_by_label("Status").select_option(label="Won")
    assert won.value.request.headers.get("hx-request") == "true"
    expect(names).to_have_text(["Acme renewal"])
    expect(page).to_have_url(re.compile(r"outcome=won"))

    page.get_by_label("Status").select_option(label="All")
    page.get_by_label("Name", exact=True).press_sequentially("expan")
    expect(names).to_have_text(["Acme expansion"])
    expect(page).to_have_url(re.compile(r"q=expan"))

    page.get_by_label("Name", exact=True).fill("no such deal")
    expect(page.get_by_text("No opportunities match these filters")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=no%20such%20deal"))
    assert page.evaluate("() => window.stillTheSameDocument") is True
    check_page()
    screenshot("04-opportunity-list-filtered")

    # Each filter state is a history entry (hx-push-url): Back brings back the previous results
    # and, with them, the filter form that produced them.
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=expan(&|$)"))
    expect(names).to_have_text(["Acme expansion"])
    expect(page.get_by_label("Name", exact=True)).to_have_value("expan")
    check_page()


def test_a_seller_sees_an_invalid_amount_explained_with_her_input_kept_then_saves(
    page, world, sign_in, check_page, screenshot
):
    sign_in("seller_a")
    page.get_by_role("link", name="Acme expansion").click()
    page.get_by_role("link", name="Edit opportunity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Acme expansion")
    check_page()

    page.get_by_label("Amount").fill("-5")
    page.get_by_label("Next step").fill("Book the budget call with the CFO")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Please correct the fields marked below; nothing was saved."
    )
    amount = page.get_by_label("Amount")
    expect(amount).to_be_focused()
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_accessible_description("Ensure this value is greater than or equal to 0.")
    expect(amount).to_have_value("-5")
    expect(page.get_by_label("Next step")).to_have_value("Book the budget call with the CFO")
    check_page()
    screenshot("05-opportunity-edit-invalid")

    page.get_by_label("Amount").fill("125000")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/opportunities/{world.opportunity_a.pk}/$"))
    expect(fact(page, "Next step")).to_have_text("Book the budget call with the CFO")
    expect(fact(page, "Amount")).to_have_text("$125,000")
    expect(page.get_by_role("status")).to_have_text("Saved Acme expansion.")
    check_page()


def test_the_other_pages_a_manager_uses_are_accessible_and_error_free(
    page, world, sign_in, check_page, screenshot
):
    sign_in("manager_1")
    for link, heading, shot in [
        ("Accounts", "Accounts", "06-account-list"),
        ("Acme Corp", "Acme Corp", "07-account"),
        ("Targets", "Targets", "08-target-list"),
        ("People", "People", "09-people"),
    ]:
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page()
        screenshot(shot)


@pytest.fixture
def demo_company(transactional_db):
    """A small Northwind Analytics, the company `make demo` shows, for the README's pictures."""
    return generate_demo(sellers=20, seed=7)


def test_the_demo_manager_sees_a_believable_team_and_the_readme_shows_it(
    page, demo_company, check_page, screenshot, publish_screenshot
):
    manager = next(login for login in demo_company.logins if login.role == "manager")
    page.goto("/login/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(manager.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="My team")).to_have_attribute("aria-current", "page")
    rows = page.locator("section[aria-labelledby=members-heading] tbody tr")
    expect(rows.first).to_be_visible()
    # Real numbers: every seller has a target and a percent to plan, not "no data".
    assert rows.count() >= 5
    expect(page.get_by_text("no target set")).to_have_count(0)
    check_page()
    publish_screenshot(screenshot("10-demo-my-team"), "my-team.png")


def test_a_manager_drills_from_a_dashboard_number_to_the_deals_behind_it(
    page, world, sign_in, check_page, screenshot
):
    quarter = fiscal_calendar().quarter_of(timezone.localdate())
    for name, owner, amount in (("Acme pilot", "seller_a", 90_000), ("Cobalt upsell", "seller_c", 70_000)):
        Opportunity.objects.create(
            name=name,
            account=world.account_a if owner == "seller_a" else world.account_c,
            owner=world.people[owner],
            amount=Decimal(amount),
            stage=world.stages["won"],
            created=quarter.start - timedelta(days=30),
            close_date=quarter.start,
            closed_on=quarter.start,
        )
    sign_in("manager_1")
    cards = page.get_by_role("region", name=f"Team figures for {quarter.label}")
    expect(cards.get_by_role("link", name="$90K")).to_be_visible()
    # The trend chart is drawn (a canvas with a text alternative) and the numbers sit beside it.
    expect(page.locator("figure.chart-ready canvas[data-chart=trend-data]")).to_be_visible()
    expect(page.get_by_text("The numbers behind the chart")).to_be_visible()
    check_page()
    screenshot("11-manager-dashboard")

    cards.get_by_role("link", name="$90K").click()
    expect(page).to_have_url(re.compile(r"/opportunities/\?team=\d+&outcome=won"))
    expect(page.locator("#results tbody th")).to_have_text(["Acme pilot"])
    check_page()


def test_an_executive_compares_teams_and_drills_down_to_one(page, world, sign_in, check_page, screenshot):
    quarter = fiscal_calendar().quarter_of(timezone.localdate())
    Opportunity.objects.create(
        name="Cobalt upsell",
        account=world.account_c,
        owner=world.people["seller_c"],
        amount=Decimal(70_000),
        stage=world.stages["won"],
        created=quarter.start - timedelta(days=30),
        close_date=quarter.start,
        closed_on=quarter.start,
    )
    sign_in("executive")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind")
    teams = page.locator("section[aria-labelledby=teams-heading] tbody tr")
    expect(teams.locator("th")).to_have_text(["East", "West"])
    west = teams.filter(has=page.get_by_role("link", name="West"))
    expect(west.locator("td").first).to_have_text("$70K")
    check_page()
    screenshot("12-executive-dashboard")

    page.get_by_role("link", name="West", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("West")
    expect(page.get_by_role("link", name="Carol Cole").first).to_be_visible()
    page.locator("section[aria-labelledby=members-heading]").get_by_role("link", name="$70K").click()
    expect(page.locator("#results tbody th")).to_have_text(["Cobalt upsell"])
    check_page()
