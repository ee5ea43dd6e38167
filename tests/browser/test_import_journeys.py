"""Importing a CRM file through the page, following the background job's progress bar, and undoing it."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from firstline.io.models import ImportRun
from firstline.io.services import import_run_create, import_run_execute
from firstline.pipeline.models import Opportunity

pytestmark = pytest.mark.browser

DEALS = (
    "Deal Name;Sales Rep;Company;Amount;Stage;Created Date;Close Date\r\n"
    "Acme add-on;Alice Archer;Acme Corp;USD 2,000.00;Closed Won;2024-01-05;2024-03-01\r\n"
    "Bob's first;Bob Baker;;;Discovery call;2024-02-05;\r\n"
).encode("cp1252")


def test_a_manager_imports_a_file_and_watches_the_progress_bar_finish(
    page, world, sign_in, check_page, screenshot, settings
):
    # The real queue: the page shows the job waiting until the database worker runs it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sign_in("manager_1")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import history")
    check_page()
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("What the file holds").select_option("opportunities")
    page.get_by_label("CSV or XLSX file").set_input_files(
        files=[{"name": "deals.csv", "mimeType": "text/csv", "buffer": DEALS}]
    )
    check_page()
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities from deals.csv")
    expect(page.get_by_role("cell", name="Acme add-on")).to_be_visible()
    expect(page.get_by_label("Owner (required)")).to_have_value("Sales Rep")
    check_page()
    page.get_by_role("button", name="Check every row (dry run)").click()
    expect(page.get_by_role("heading", name="Dry run: nothing was written")).to_be_visible()
    # Bob's stage is unknown and Mia is no admin: the dry run says so, row by row.
    expect(
        page.get_by_text("line 3, stage: 'Discovery call' is not a stage of the sales process")
    ).to_be_visible()
    check_page()
    screenshot("10-import-dry-run")
    assert not Opportunity.objects.filter(name="Acme add-on").exists()

    page.get_by_role("button", name="Import now").click()
    progress = page.locator(".job-progress")
    expect(progress).to_contain_text("Waiting to import")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # Not all or nothing was asked: one bad row, so the job fails and nothing is written.
    expect(progress).to_contain_text("Nothing was imported: 1 row(s) were rejected.", timeout=10_000)
    check_page()
    assert not Opportunity.objects.filter(name="Acme add-on").exists()

    page.goto("/imports/new/")
    page.get_by_label("What the file holds").select_option("opportunities")
    page.get_by_label("CSV or XLSX file").set_input_files(
        files=[
            {
                "name": "deals.csv",
                "mimeType": "text/csv",
                "buffer": DEALS.replace(b"Discovery call", b"Propose"),
            }
        ]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name="Import now").click()
    expect(progress).to_contain_text("Waiting to import")
    screenshot("11-import-waiting")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    expect(progress.locator("progress")).to_have_attribute("value", "100", timeout=10_000)
    expect(progress).to_contain_text("Done")
    check_page()
    screenshot("12-import-done")
    page.get_by_role("link", name="See what was imported").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    expect(
        page.locator("dl.facts dt", has_text=re.compile("^Created$")).locator("xpath=following-sibling::dd")
    ).to_have_text("2")
    assert Opportunity.objects.get(name="Acme add-on").amount == 2000
    check_page()


def test_a_manager_undoes_an_import(page, world, sign_in, check_page, screenshot):
    run = import_run_create(
        actor=world.users["manager_1"],
        kind="opportunities",
        file_name="deals.csv",
        data=DEALS.replace(b"Discovery call", b"Propose"),
    )
    import_run_execute(run, dry_run=False)
    assert Opportunity.objects.filter(name="Acme add-on").exists()
    sign_in("manager_1")
    page.goto("/imports/")
    page.get_by_role("link", name=re.compile(r"\d{4}")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities from deals.csv")
    check_page()
    page.get_by_label(re.compile("Yes: delete everything this import created")).check()
    page.get_by_role("button", name="Undo this import").click()
    expect(page.get_by_text("Undone: the import of deals.csv is taken back.")).to_be_visible()
    expect(page.locator(".badge", has_text="Undone")).to_be_visible()
    check_page()
    screenshot("13-import-undone")
    assert not Opportunity.objects.filter(name="Acme add-on").exists()
    assert ImportRun.objects.get(pk=run.pk).state == "undone"
