"""One period picker everywhere: the usual periods as choices, any label still typed, one name."""

from datetime import date

from django.test import TestCase
from django.urls import reverse

from firstline.core.periods import FiscalCalendar
from tests.world import build_world


def test_the_recent_periods_are_named_as_people_say_them():
    recent = FiscalCalendar(start_month=2).recent(date(2026, 3, 15), earlier_quarters=2)
    assert [(period.label, name) for period, name in recent] == [
        ("2027Q1", "This quarter"),
        ("2026Q4", "Last quarter"),
        ("2027YTD", "This year to date"),
        ("2027", "This year"),
        ("2026", "Last year"),
        ("2026Q3", "2026Q3"),
        ("2026Q2", "2026Q2"),
    ]


class PeriodPickerTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.client.force_login(self.world.users["manager_1"])

    def test_every_page_with_a_period_offers_the_same_choices_under_the_same_name(self):
        for url in (
            reverse("org:my_team"),
            reverse("targets:target_list"),
            self.world.people["seller_a"].get_absolute_url(),
        ):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, 'name="period"')
                self.assertContains(response, "This quarter ·")
                self.assertContains(response, "Last year ·")
                self.assertContains(response, 'list="')

    def test_a_typed_label_still_works_everywhere(self):
        response = self.client.get(reverse("org:my_team"), {"period": "2025-07"})
        assert response.context["period"].label == "2025-07"
        response = self.client.get(reverse("api:target-list"), {"period": self.world.target_a.period})
        assert [row["id"] for row in response.json()["results"]] == [self.world.target_a.pk]
        response = self.client.get(reverse("api:target-list"), {"period": "2020"})
        assert response.json()["results"] == []
