"""Bad input is a 400 or the normal form error, never a 500 (and never silently reinterpreted)."""

import json

from django.test import TestCase
from django.urls import reverse

from tests.world import build_world

BAD_PERIODS = ["0000", "0000Q1", "9999", "9999Q4", "9999-12", "9999YTD", "0001-01", "%", "2025%", "２０２５"]


class BadInputTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.client.force_login(self.world.users["manager_1"])

    def test_impossible_years_in_periods_are_explained_on_pages(self):
        for label in BAD_PERIODS:
            for url in (reverse("org:my_team"), self.world.people["seller_a"].get_absolute_url()):
                with self.subTest(label=label, url=url):
                    response = self.client.get(url, {"period": label})
                    assert response.status_code == 200
                    self.assertContains(response, "is not a period")

    def test_impossible_periods_are_400_in_api_filters_and_writes(self):
        target = self.world.target_a
        for label in BAD_PERIODS:
            with self.subTest(label=label):
                response = self.client.get(reverse("api:target-list"), {"period": label})
                assert response.status_code == 400, response.content
                response = self.client.get(reverse("targets:target_list"), {"period": label})
                assert response.status_code == 200
                response = self.client.patch(
                    reverse("api:target-detail", args=[target.pk]),
                    json.dumps({"period": label}),
                    content_type="application/json",
                )
                assert response.status_code == 400, response.content
                assert "period" in response.json()

    def test_integers_beyond_64_bits_are_refused_not_crashed_on(self):
        huge = "9" * 22
        for name, params in [
            ("api:opportunity-list", {"account": huge}),
            ("api:opportunity-list", {"owner": huge}),
            ("api:opportunity-list", {"stage": huge}),
            ("api:opportunity-list", {"min_amount": huge + "1e999"}),
            ("api:account-list", {"min_potential": "1e999999"}),
            ("api:membership-list", {"person": huge}),
            ("api:team-list", {"manager": huge}),
            ("api:opportunity-list", {"page": huge}),
        ]:
            with self.subTest(name=name, params=params):
                response = self.client.get(reverse(name), params)
                assert response.status_code in (400, 404), (response.status_code, response.content[:200])
        for name in ("pipeline:opportunity_list", "pipeline:account_list"):
            response = self.client.get(reverse(name), {"account": huge, "min_potential": "1e999999"})
            assert response.status_code == 200
        response = self.client.get(reverse("api:opportunity-detail", args=[1]).replace("1", huge))
        assert response.status_code == 404

    def test_deeply_nested_json_is_a_400_even_before_signing_in(self):
        deep = "[" * 3000 + "]" * 3000
        self.client.logout()
        response = self.client.post(reverse("api:token"), deep, content_type="application/json")
        assert response.status_code == 400
        self.client.force_login(self.world.users["manager_1"])
        response = self.client.post(reverse("api:account-list"), deep, content_type="application/json")
        assert response.status_code == 400

    def test_a_reference_must_be_a_whole_number_not_a_float_or_a_boolean(self):
        url = reverse("api:opportunity-detail", args=[self.world.opportunity_a.pk])
        for stage in (self.world.stages["propose"].pk + 0.9, True, "2.0", [2], {"id": 2}):
            with self.subTest(stage=stage):
                body = json.dumps({"stage": stage})
                response = self.client.patch(url, body, content_type="application/json")
                assert response.status_code == 400, response.content
                assert "stage" in response.json()
        self.world.opportunity_a.refresh_from_db()
        assert self.world.opportunity_a.stage == self.world.stages["prospect"]

    def test_ids_too_large_to_exist_are_404_in_page_and_api_urls(self):
        huge = "9" * 22
        for url in (
            f"/opportunities/{huge}/",
            f"/opportunities/{huge}/edit/",
            f"/accounts/{huge}/",
            f"/people/{huge}/",
            f"/api/opportunities/{huge}/",
            f"/api/people/{huge}/",
            f"/api/targets/{huge}/",
        ):
            with self.subTest(url=url):
                assert self.client.get(url).status_code == 404

    def test_text_must_be_sent_as_text(self):
        url = reverse("api:opportunity-detail", args=[self.world.opportunity_a.pk])
        response = self.client.patch(url, json.dumps({"next_step": 0}), content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"next_step": ["Not a valid string."]}

    def test_a_single_valued_filter_given_twice_or_empty_is_refused_in_the_api(self):
        url = reverse("api:person-list")
        assert self.client.get(f"{url}?team=1&team=").status_code == 400
        assert self.client.get(f"{url}?role=").status_code == 400
        assert self.client.get(f"{url}?page=1&page=2").status_code == 404
        assert self.client.get(f"{url}?q=").status_code == 200

    def test_an_ordering_with_an_empty_item_is_refused_in_the_api(self):
        assert self.client.get(reverse("api:person-list"), {"ordering": ","}).status_code == 400
        assert self.client.get(reverse("api:person-list"), {"ordering": "name,-role"}).status_code == 200
