"""A write that would clash with a record the actor cannot see fails like any other refused write:
uniqueness errors never confirm that an out-of-scope email, CRM id or target exists."""

import json
from datetime import timedelta

from django.test import TestCase
from django.urls import get_resolver, reverse
from django.utils import timezone
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

from firstline.org.models import Person
from firstline.pipeline.models import Opportunity
from tests.test_authorization_matrix import _patterns
from tests.world import build_world


class ExistenceOracleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def post(self, persona, name, data, method="post", args=()):
        self.client.force_login(self.world.users[persona])
        return getattr(self.client, method)(
            reverse(name, args=args), json.dumps(data), content_type="application/json"
        )

    def new_deal(self, external_id):
        today = timezone.localdate()
        return {
            "name": "Probe",
            "account": self.world.account_a.pk,
            "owner": self.world.people["seller_a"].pk,
            "amount": "10",
            "stage": self.world.stages["prospect"].pk,
            "created": today.isoformat(),
            "close_date": (today + timedelta(days=30)).isoformat(),
            "external_id": external_id,
        }

    def test_a_seller_cannot_learn_whether_a_crm_id_exists_outside_her_scope(self):
        Opportunity.objects.filter(pk=self.world.opportunity_c.pk).update(external_id="CRM-C")
        hidden = self.post("seller_a", "api:opportunity-list", self.new_deal("CRM-C"))
        assert hidden.status_code == 403, hidden.content
        assert "already exists" not in hidden.content.decode()
        assert hidden.json() == {"detail": "You may not save this opportunity with these values."}
        # A clash with her own deal is hers to know about and fix.
        own = self.post("seller_a", "api:opportunity-list", self.new_deal("CRM-A"))
        assert own.status_code == 400
        assert "external_id" in own.json()

    def test_a_seller_cannot_probe_emails_through_her_own_person_record(self):
        me = self.world.people["seller_a"].pk
        taken = self.post("seller_a", "api:person-detail", {"email": "SELLER_C@example.com"}, "patch", [me])
        free = self.post("seller_a", "api:person-detail", {"email": "nobody@example.com"}, "patch", [me])
        assert taken.status_code == free.status_code == 403
        assert taken.json() == free.json()

    def test_enablement_cannot_learn_which_targets_exist(self):
        target = self.world.target_a
        data = {"person": target.person_id, "metric": target.metric, "period": target.period, "amount": "1"}
        existing = self.post("enablement", "api:target-list", data)
        other_period = self.post("enablement", "api:target-list", {**data, "period": "2020Q1"})
        assert existing.status_code == other_period.status_code == 403
        assert existing.json() == other_period.json()

    def test_admins_who_see_everything_get_the_plain_uniqueness_error(self):
        response = self.post("admin", "api:person-list", {"name": "Copy", "email": "Seller_A@Example.com"})
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["A person with this email already exists."]}

    def test_no_api_serializer_checks_uniqueness_before_the_scoped_write(self):
        checked = 0
        for pattern in _patterns(get_resolver().url_patterns):
            view_class = getattr(pattern.callback, "cls", None)
            serializer_class = getattr(view_class, "serializer_class", None)
            if serializer_class is None or not hasattr(serializer_class, "Meta"):
                continue
            serializer = serializer_class()
            validators = list(serializer.validators)
            for field in serializer.fields.values():
                validators += field.validators
            with self.subTest(serializer=serializer_class.__name__):
                assert not [v for v in validators if isinstance(v, UniqueValidator | UniqueTogetherValidator)]
            checked += 1
        assert checked >= 8


class DataHygieneTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_deals_without_a_crm_id_store_null_so_many_may_have_none(self):
        self.client.force_login(self.world.users["seller_a"])
        for name in ("First", "Second"):
            deal = ExistenceOracleTests.new_deal(self, "")
            response = self.client.post(
                reverse("api:opportunity-list"),
                json.dumps({**deal, "name": name}),
                content_type="application/json",
            )
            assert response.status_code == 201, response.content
            assert response.json()["external_id"] is None
        assert Opportunity.objects.filter(external_id="").count() == 0
        assert Opportunity.objects.filter(external_id__isnull=True, name__in=["First", "Second"]).count() == 2

    def test_emails_are_unique_whatever_their_case(self):
        from django.core.exceptions import ValidationError
        from django.db import IntegrityError, transaction

        copy = Person(name="Alice Again", email="SELLER_A@EXAMPLE.COM")
        with self.assertRaises(ValidationError):
            copy.full_clean()
        with self.assertRaises(IntegrityError), transaction.atomic():
            copy.save()


class ErrorShapeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_model_error_about_the_whole_object_is_still_an_object(self):
        self.client.force_login(self.world.users["admin"])
        person, team = self.world.people["seller_a"].pk, self.world.west.pk
        overlapping = {"person": person, "team": team, "start": "2024-06-01"}
        response = self.client.post(
            reverse("api:membership-list"), json.dumps(overlapping), content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": ["This person is already in a team for part of these dates."]
        }
