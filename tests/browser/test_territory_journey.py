"""A manager redesigns a team's territories: runs the optimizer, watches its progress, inspects the
map and the moves, and applies the scenario."""

import random
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from firstline.pipeline.models import Account
from firstline.territories.models import Scenario, ScenarioStatus, TerritoryAssignment
from tests.territories.world import build_territories

pytestmark = pytest.mark.browser


def located_accounts(world, territories):
    """Alice's north holds 45 accounts, Bob's south 15: East is far out of balance."""
    rng = random.Random(3)
    north = territories["territory_a"]
    south = world.east.territories.get(name="East South")
    for i in range(60):
        territory = north if i < 45 else south
        account = Account.objects.create(
            name=f"Harbor {i}",
            owner=territory.owner,
            latitude=Decimal(f"{41 + i / 30 + rng.uniform(-0.05, 0.05):.5f}"),
            longitude=Decimal(f"{-74 + rng.uniform(-0.5, 0.5):.5f}"),
            market_potential=Decimal(rng.randint(50, 150) * 1000),
        )
        TerritoryAssignment.objects.create(account=account, territory=territory)


def test_a_manager_optimizes_the_team_inspects_the_result_and_applies_it(
    page, world, sign_in, check_page, screenshot, publish_screenshot
):
    territories = build_territories(world)
    located_accounts(world, territories)
    sign_in("manager_1")
    page.get_by_role("link", name="Territory design").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Territory design")
    check_page()
    page.get_by_label("Team").select_option(label="East")
    page.get_by_label("Tolerance").fill("0.1")
    page.get_by_role("button", name="Optimize").click()

    # The run happens in the request with the test (immediate) task backend: allow it time.
    expect(page).to_have_url(re.compile(r"/territory-design/\d+/$"), timeout=30_000)
    progress = page.get_by_role("progressbar", name="Optimization progress")
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("#scenario-progress .badge")).to_have_text("Ready to apply")
    scenario = Scenario.objects.latest("created")
    assert scenario.status == ScenarioStatus.READY

    # The before/after table, the map and the moves all tell the same story.
    north = page.locator("#seller-table tbody tr", has=page.get_by_role("rowheader", name="East North"))
    expect(north.locator("td").nth(3)).not_to_have_text(north.locator("td").nth(2).inner_text())
    canvas = page.locator("#territory-map")
    expect(canvas).to_have_attribute("data-ready", "true")
    # The chart sizes its canvas to the box once drawn (polled without eval: the CSP forbids it).
    for _ in range(50):
        if (canvas.bounding_box() or {}).get("height", 0) > 300:
            break
        page.wait_for_timeout(100)
    assert canvas.bounding_box()["height"] > 300
    moves = page.locator("#moves-table tbody tr")
    expect(moves).to_have_count(scenario.moves.count())
    first_move = scenario.moves.select_related("account", "to_territory").first()
    expect(moves.filter(has_text=first_move.account.name)).to_contain_text("East South")
    check_page()
    publish_screenshot(screenshot("territory-scenario"), "territory-scenario.png")
    page.get_by_role("button", name="Current plan").click()
    expect(page.get_by_role("button", name="Current plan")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="Apply scenario").click()
    expect(page.get_by_role("status")).to_contain_text("Scenario applied")
    expect(page.locator("#scenario-progress .badge")).to_have_text("Applied")
    expect(page.get_by_role("button", name="Undo scenario")).to_be_visible()
    check_page()
    assert (
        TerritoryAssignment.objects.current().get(account=first_move.account).territory
        == first_move.to_territory
    )


def test_a_seller_names_a_key_account_and_an_action_on_her_plan_and_marks_it_done(
    page, world, sign_in, check_page
):
    plan = build_territories(world)["territory_plan_a"]
    plan.key_accounts.all().delete()
    plan.actions.all().delete()
    sign_in("seller_a")
    page.goto(f"/territory-plans/{plan.pk}/")
    key_accounts = page.get_by_role("form", name="Name a key account")
    key_accounts.get_by_label("Account").select_option(label=world.account_a.name)
    key_accounts.get_by_label("Strategy").fill("Land the EU arm before the renewal")
    key_accounts.get_by_role("button", name="Save key account").click()
    key_list = page.get_by_role("region", name="Key accounts").get_by_role("list")
    expect(key_list).to_contain_text(f"{world.account_a.name}: Land the EU arm before the renewal")

    actions = page.get_by_role("form", name="Add an action")
    actions.get_by_label("Description").fill("Book the QBR with the CFO")
    actions.get_by_label("Due").fill("2031-01-15")
    actions.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("region", name="Actions").get_by_role("list")).to_contain_text(
        "Book the QBR with the CFO"
    )
    check_page()

    page.get_by_role("button", name="Mark done: Book the QBR with the CFO").click()
    expect(page.get_by_role("button", name="Reopen: Book the QBR with the CFO")).to_be_visible()
    assert plan.actions.get().done
    check_page()
