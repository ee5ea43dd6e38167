"""Coaching and assessment journeys through a real Chromium, each page audited like the others."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from firstline.coaching.frameworks import ensure_default_frameworks
from firstline.coaching.models import ActionItem, Assessment, CoachingNote
from firstline.core import formatting

pytestmark = pytest.mark.browser


@pytest.fixture
def frameworks(world):
    ensure_default_frameworks()


def sign_out(page):
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    expect(page.get_by_label("Username")).to_be_visible()


def test_a_manager_records_a_session_with_an_action_item_and_the_seller_marks_it_done(
    page, world, frameworks, sign_in, check_page, screenshot
):
    due = timezone.localdate() + timedelta(days=5)
    sign_in("manager_1")
    page.get_by_role("link", name="Coaching", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching cadence")
    alice = page.locator("tbody tr", has=page.get_by_role("link", name="Alice Archer"))
    expect(alice.locator("td").nth(2)).to_have_text("never coached")
    check_page()
    screenshot("20-coaching-cadence")

    alice.get_by_role("link", name="Alice Archer").click()
    page.get_by_role("link", name="Record a session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a session with Alice Archer")
    check_page()
    page.get_by_label("Kind").select_option(label="Deal review")
    page.get_by_label("Discovery").check()
    page.get_by_label("Linked opportunities").select_option(label="Acme expansion")
    page.get_by_label("Shared note").fill("Walked the Acme deal against the exit criteria.")
    page.get_by_label("Private note").fill("Worried about workload at home.")
    page.get_by_label("Action item", exact=True).fill("Send the mutual close plan")
    page.get_by_label("Action item due").fill(due.isoformat())
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Deal review with Alice Archer")
    expect(page.get_by_text("Walked the Acme deal against the exit criteria.")).to_be_visible()
    expect(page.get_by_text("Private · coach and seller only")).to_be_visible()
    expect(page.get_by_role("button", name="Mark done: Send the mutual close plan")).to_be_visible()
    check_page()
    screenshot("21-coaching-session")
    sign_out(page)

    sign_in("seller_a")
    page.get_by_role("link", name="My coaching").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My coaching")
    item = page.locator(".checklist li", has_text="Send the mutual close plan")
    expect(item).to_contain_text("Alice Archer · due")
    check_page()
    screenshot("22-my-coaching")
    item.get_by_role("button", name="Mark done: Send the mutual close plan").click()

    expect(page.get_by_role("status")).to_contain_text("“Send the mutual close plan” marked done.")
    expect(page.get_by_text("Nothing open. Every follow-up from coaching is done.")).to_be_visible()
    check_page()
    action = ActionItem.objects.get(description="Send the mutual close plan")
    assert action.done_on == timezone.localdate()
    assert CoachingNote.objects.filter(session=action.session, visibility="private").exists()

    # The session itself shows it done, and the seller reads the private note written about her.
    page.get_by_role("link", name=re.compile(r"^Deal review on")).click()
    expect(page.get_by_role("button", name="Reopen: Send the mutual close plan")).to_be_visible()
    expect(page.get_by_text("Worried about workload at home.")).to_be_visible()
    check_page()


def rate_everything(page, score_label: str):
    # .all() does not wait: wait until the form has loaded, or it rates the groups of the page before.
    expect(page.get_by_role("button", name="Save assessment")).to_be_visible()
    for group in page.get_by_role("group").all():
        group.get_by_label(score_label).check()


def test_a_manager_and_a_seller_complete_an_assessment_and_the_heat_map_shows_it(
    page, world, frameworks, sign_in, check_page, screenshot
):
    sign_in("seller_a")
    page.get_by_role("link", name="My coaching").click()
    page.locator("main").get_by_role("link", name="Competencies", exact=True).click()
    page.get_by_role("link", name="Assess myself").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessment")
    check_page()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("alert")).to_have_text("Please rate every competency; nothing was saved.")
    rate_everything(page, "4 · Advanced")
    page.get_by_label("Evidence for Discovery").fill("Led discovery on Acme")
    page.get_by_role("button", name="Save assessment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Competencies · Alice Archer")
    discovery = page.locator("tbody tr", has=page.get_by_role("rowheader", name="Discovery"))
    # Manager, since last, self, since last, gap, manager's evidence, own evidence.
    expect(discovery.locator("td")).to_have_text(["—", "—", "4", "—", "—", "", "Led discovery on Acme"])
    check_page()
    sign_out(page)

    sign_in("manager_1")
    page.get_by_role("link", name="Coaching", exact=True).click()
    page.get_by_role("link", name="Competency heat map").click()
    alice = page.locator("tbody tr", has=page.get_by_role("link", name="Alice Archer"))
    expect(alice.get_by_role("link", name="Assess")).to_be_visible()
    alice.get_by_role("link", name="Alice Archer").click()
    page.get_by_role("link", name="Assess Alice Archer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assess Alice Archer")
    rate_everything(page, "3 · Proficient")
    page.get_by_role("group", name="Negotiation").get_by_label("2 · Developing").check()
    page.get_by_role("button", name="Save assessment").click()
    expect(discovery.locator("td").nth(0)).to_have_text("3")
    expect(discovery.locator("td").nth(4)).to_have_text("+1")  # she rates herself one higher
    check_page()
    screenshot("23-competencies-side-by-side")

    page.get_by_role("link", name="Coaching", exact=True).click()
    page.get_by_role("link", name="Competency heat map").click()
    alice = page.locator("tbody tr", has=page.get_by_role("link", name="Alice Archer"))
    expect(alice.locator("td")).to_have_text(
        ["3", "3", "3", "2", "3", "3", "3", formatting.date(timezone.localdate())]
    )
    expect(alice.locator("td").nth(3)).to_have_class(re.compile("heat-2"))
    expect(page.locator("tfoot td").nth(3)).to_have_text("2.0")
    check_page()
    screenshot("24-heat-map")
    assert Assessment.objects.filter(person=world.people["seller_a"]).count() == 2


def test_the_hiring_engagement_and_retention_pages_are_accessible_and_error_free(
    page, world, frameworks, sign_in, check_page, screenshot
):
    from tests.team_world import build_team_world

    build_team_world(world)
    sign_in("manager_1")
    page.get_by_role("link", name="Hiring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hiring")
    check_page()
    page.get_by_role("link", name="Account Executive").click()
    page.get_by_role("link", name="Priya Patel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Patel")
    check_page()
    page.get_by_role("link", name="Engagement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Engagement")
    expect(page.locator("#enps-chart")).to_be_visible()
    check_page()
    screenshot("25-engagement")
    page.get_by_role("link", name="Retention risk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention risk")
    check_page()
    page.get_by_role("link", name="Pulses").click()
    page.get_by_role("link", name="Answer Spring pulse").click()
    page.get_by_role("group", name=re.compile("recommend")).get_by_label("8", exact=True).check()
    for name in ("tools", "grow", "year"):
        page.get_by_role("group", name=re.compile(name)).get_by_label("4 · Agree").check()
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_role("status")).to_contain_text("Your answer is anonymous")
    expect(page.get_by_text("Answered", exact=True)).to_be_visible()
    check_page()
    for link in ("Competencies",):
        page.get_by_role("link", name=link, exact=True).click()
        check_page()


def test_a_manager_opens_a_position_adds_a_candidate_and_hires_her_into_the_team(
    page, world, frameworks, sign_in, check_page, screenshot
):
    sign_in("manager_1")
    page.get_by_role("link", name="Hiring").click()
    page.get_by_role("link", name="Open a position").click()
    check_page()
    page.get_by_label("Title").fill("Account Executive")
    page.get_by_label("Team").select_option(label="East")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account Executive")
    page.get_by_role("link", name="Add a candidate").click()
    page.get_by_label("Name").fill("Priya Patel")
    page.get_by_label("Email").fill("priya@example.com")
    page.get_by_label("Source").fill("Referral")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Patel")
    check_page()
    page.get_by_label("Stage").select_option(label="Interview")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text("Priya Patel moved to Interview.")
    starts = timezone.localdate() + timedelta(days=14)
    page.get_by_label("Start date").fill(starts.isoformat())
    page.get_by_role("button", name="Hire Priya Patel").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Patel")
    expect(page.get_by_role("status")).to_contain_text(
        f"Priya Patel is hired and joins the team on {formatting.date(starts)}."
    )
    expect(
        page.get_by_text(f"Hired: Priya Patel, joining East on {formatting.date(starts)}.")
    ).to_be_visible()
    check_page()
    screenshot("26-hired")
    person = world.people["manager_1"].managed_teams.get().memberships.get(person__email="priya@example.com")
    assert (person.start, person.person.role) == (starts, "seller")
