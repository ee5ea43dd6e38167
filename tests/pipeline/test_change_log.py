"""The change log says only what changed, in the app's own words: no "95000.00 → 95000", no "None",
dates as on every page, people by name."""

from datetime import timedelta

from auditlog.models import LogEntry
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.core import formatting
from tests.world import build_world


class ChangeLogTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.client.force_login(self.world.users["seller_a"])
        self.opportunity = self.world.opportunity_a

    def edit(self, **changes):
        form = {
            "name": self.opportunity.name,
            "stage": self.opportunity.stage_id,
            "amount": "120000",
            "close_date": self.opportunity.close_date.isoformat(),
            **changes,
        }
        response = self.client.post(reverse("pipeline:opportunity_update", args=[self.opportunity.pk]), form)
        assert response.status_code == 302, response.context["form"].errors

    def test_saving_an_unchanged_amount_logs_nothing(self):
        before = LogEntry.objects.get_for_object(self.opportunity).count()
        self.edit()
        assert LogEntry.objects.get_for_object(self.opportunity).count() == before

    def test_changes_read_like_the_rest_of_the_app(self):
        new_close = self.opportunity.close_date + timedelta(days=10)
        self.edit(
            next_step="Call the CFO",
            close_date=new_close.isoformat(),
            stage=self.world.stages["propose"].pk,
            amount="95000.5",
        )
        response = self.client.get(self.opportunity.get_absolute_url())
        entry = response.context["history"][0]
        assert entry.who == "Alice Archer"
        changes = {change.label: (change.before, change.after) for change in entry.changes}
        assert changes == {
            "Next step": ("—", "Call the CFO"),
            "Close date": (formatting.date(self.opportunity.close_date), formatting.date(new_close)),
            "Stage": ("Prospect", "Propose"),
            "Amount": ("120000", "95000.5"),
        }
        self.assertNotContains(response, "None")
        self.assertContains(response, "Alice Archer ·")

    def test_the_history_costs_the_same_queries_however_long_it_is(self):
        def queries_for_page():
            with CaptureQueriesContext(connection) as context:
                self.client.get(self.opportunity.get_absolute_url())
            return len(context.captured_queries)

        self.edit(stage=self.world.stages["propose"].pk)
        few = queries_for_page()
        for days in range(1, 6):
            stage = self.world.stages["prospect" if days % 2 else "propose"]
            self.edit(next_step=f"Step {days}", stage=stage.pk)
        assert queries_for_page() == few
