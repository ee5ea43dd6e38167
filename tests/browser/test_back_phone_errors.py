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
