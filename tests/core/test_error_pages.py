"""Designed 403/404/500 pages with a way back, in development as in production; navigation offers
only what a person can use."""

from django.test import RequestFactory, TestCase, override_settings
from django.urls import reverse

from firstline.core.errors import server_error
from tests.world import build_world


class ErrorPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def assert_designed(self, response, status):
        assert response.status_code == status
        self.assertContains(response, f"Error {status}", status_code=status)
        self.assertContains(response, 'href="/">Go to your start page</a>', status_code=status)
        self.assertContains(response, 'class="topbar"', status_code=status)

    @override_settings(DEBUG=True)
    def test_a_seller_opening_my_team_gets_the_designed_404_even_in_development(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(reverse("kpis:my_team"))
        self.assert_designed(response, 404)
        self.assertNotContains(response, "technical_404", status_code=404)
        self.assertNotContains(response, "Django tried these URL patterns", status_code=404)

    @override_settings(DEBUG=True)
    def test_an_address_that_matches_nothing_gets_the_designed_404(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get("/no-such-page/")
        self.assert_designed(response, 404)
        self.assertNotContains(response, "Django tried these URL patterns", status_code=404)

    def test_out_of_scope_is_the_same_designed_404(self):
        self.client.force_login(self.world.users["seller_a"])
        self.assert_designed(self.client.get(self.world.opportunity_c.get_absolute_url()), 404)

    def test_the_api_keeps_answering_in_json(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(reverse("api:opportunity-detail", args=[self.world.opportunity_c.pk]))
        assert response.status_code == 404
        assert response.json() == {"detail": "No Opportunity matches the given query."}

    def test_the_500_page_renders_without_a_request_context(self):
        request = RequestFactory().get("/")
        response = server_error(request)
        assert response.status_code == 500
        assert b"Something went wrong on our side" in response.content

    def test_a_sellers_navigation_offers_only_what_she_can_use(self):
        self.client.force_login(self.world.users["seller_a"])
        labels = [
            item["label"]
            for section in self.client.get(reverse("pipeline:opportunity_list")).context["navigation"]
            for item in section["items"]
        ]
        # Her own coaching and pulses, never the team's (see context_processors.team_building_items).
        assert labels == [
            "Accounts",
            "Territories",
            "Territory plans",
            "My coaching",
            "Competencies",
            "Pulses",
            "Targets",
            "Nudges",
            "Opportunities",
            "Forecast",
            "Sales process",
        ]
        self.client.force_login(self.world.users["manager_1"])
        labels = [
            item["label"]
            for section in self.client.get(reverse("pipeline:opportunity_list")).context["navigation"]
            for item in section["items"]
        ]
        assert labels == [
            "Accounts",
            "Territories",
            "Territory plans",
            "Territory design",
            "Quotas",
            "My team",
            "People",
            "Coaching",
            "Competencies",
            "Hiring",
            "Engagement",
            "Pulses",
            "Targets",
            "Nudges",
            "Opportunities",
            "Deal reviews",
            "Forecast",
            "Sales process",
            "Import",
        ]
