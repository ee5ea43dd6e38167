"""What a person does without thinking: filter, open a deal, press Back; use a phone; mistype a URL."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from firstline.pipeline.models import Opportunity

pytestmark = pytest.mark.browser


def test_back_after_filtering_and_opening_a_deal_restores_the_whole_page_with_its_filters(
    page, world, sign_in, check_page
):
    today = timezone.localdate()
    Opportunity.objects.create(
        name="Acme renewal",
        account=world.account_a,
        owner=world.people["seller_b"],
        amount=Decimal(40_000),
        stage=world.stages["propose"],
        created=today - timedelta(days=90),
        close_date=today + timedelta(days=5),
    )
    sign_in("manager_1")
    page.get_by_role("link", name="Opportunities").click()
    names = page.locator("#results tbody th")
    expect(names).to_have_text(["Acme renewal", "Acme expansion"])

    page.get_by_label("Name", exact=True).press_sequentially("expan")
    expect(names).to_have_text(["Acme expansion"])
    expect(page).to_have_url(re.compile(r"q=expan"))

    page.get_by_role("link", name="Acme expansion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme expansion")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/opportunities/\?.*q=expan"))
    # The full page, not the htmx fragment: layout, navigation, heading, filters and the results.
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    expect(page.get_by_role("search", name="Filter")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("expan")
    expect(names).to_have_text(["Acme expansion"])
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily").startswith("system-ui")
    check_page()


def test_on_a_phone_the_header_is_compact_with_a_menu_and_tables_keep_their_key_columns(
    page, world, sign_in, check_page, screenshot
):
    sign_in("seller_a")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    header = page.locator("header.topbar")
    assert header.bounding_box()["height"] < 844 * 0.1
    navigation = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(navigation).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    check_page()
    screenshot("11-phone-seller")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(navigation).to_be_visible()
    check_page()
    navigation.get_by_role("link", name="Opportunities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    expect(navigation).to_be_hidden()
    row = page.locator("#results tbody tr").first
    for column in ("Acme expansion", "Prospect", "$120K"):
        expect(row.get_by_text(column, exact=True)).to_be_visible()
    expect(row.get_by_text("Acme Corp", exact=True)).to_be_hidden()
    # Nothing overflows the screen sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    check_page()
    screenshot("12-phone-opportunities")


def test_a_seller_who_opens_a_managers_page_gets_a_designed_404_with_a_way_back(
    page, world, sign_in, check_page, screenshot, console_errors
):
    sign_in("seller_a")
    response = page.goto("/team/")
    assert response.status == 404
    console_errors.clear()  # the browser logs the 404 status itself
    expect(page.get_by_role("heading", level=1)).to_have_text("Nothing to see here")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    check_page()
    screenshot("13-error-404")
    page.get_by_role("link", name="Go to your start page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Archer")
