from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from firstline.org.models import Membership, Person, Team
from firstline.org.services import membership_move
from firstline.pipeline.models import Opportunity
from tests.world import build_world


class OrgTreeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_team_paths_follow_the_tree(self):
        w = self.world
        assert w.company.path == f"/{w.company.pk}/"
        assert w.east.path == f"/{w.company.pk}/{w.east.pk}/"
        assert set(w.company.subtree()) == {w.company, w.east, w.west}

    def test_moving_a_team_moves_its_whole_subtree(self):
        w = self.world
        pod = Team.objects.create(name="East Enterprise", parent=w.east)
        w.east.parent = w.west
        w.east.save()
        pod.refresh_from_db()
        assert pod.path == f"/{w.company.pk}/{w.west.pk}/{w.east.pk}/{pod.pk}/"
        # Nate now leads East through West, so he sees Alice.
        assert Person.objects.visible_to(w.users["manager_2"]).filter(pk=w.people["seller_a"].pk).exists()

    def test_a_team_cannot_sit_below_its_own_sub_team(self):
        w = self.world
        w.company.parent = w.east
        with self.assertRaises(ValidationError):
            w.company.full_clean()

    def test_a_person_is_in_one_team_at_a_time(self):
        w = self.world
        overlapping = Membership(person=w.people["seller_a"], team=w.west, start=date(2025, 1, 1))
        with self.assertRaises(ValidationError):
            overlapping.full_clean()

    def test_a_membership_cannot_end_before_it_starts(self):
        w = self.world
        membership = Membership(
            person=w.people["seller_b"], team=w.west, start=date(2025, 1, 2), end=date(2025, 1, 1)
        )
        with self.assertRaises(ValidationError):
            membership.full_clean()


class TeamMoveTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_seller_who_moves_team_keeps_the_history_where_it_happened(self):
        w = self.world
        alice = w.people["seller_a"]
        moved_on = timezone.localdate() - timedelta(days=1)
        membership_move(person=alice, team=w.west, on=moved_on)
        history = list(alice.memberships.order_by("start").values_list("team__name", "start", "end"))
        assert history == [("East", date(2024, 1, 1), moved_on - timedelta(days=1)), ("West", moved_on, None)]

    def test_the_new_manager_sees_the_mover_and_the_old_one_no_longer_does(self):
        w = self.world
        membership_move(person=w.people["seller_a"], team=w.west, on=timezone.localdate())
        assert Opportunity.objects.visible_to(w.users["manager_2"]).filter(pk=w.opportunity_a.pk).exists()
        assert not Opportunity.objects.visible_to(w.users["manager_1"]).filter(pk=w.opportunity_a.pk).exists()
        # The executive above both teams sees Alice throughout.
        assert Opportunity.objects.visible_to(w.users["executive"]).filter(pk=w.opportunity_a.pk).exists()

    def test_moving_into_the_current_team_changes_nothing(self):
        w = self.world
        before = list(Membership.objects.values_list("pk", "end"))
        membership_move(person=w.people["seller_a"], team=w.east, on=timezone.localdate())
        assert list(Membership.objects.values_list("pk", "end")) == before


class ScopeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def visible_names(self, persona):
        user = self.world.users[persona]
        return sorted(Opportunity.objects.visible_to(user).values_list("name", flat=True))

    def test_each_persona_sees_exactly_their_scope(self):
        assert self.visible_names("seller_a") == ["Acme expansion"]
        assert self.visible_names("seller_b") == []
        assert self.visible_names("seller_c") == ["Cobalt renewal"]
        assert self.visible_names("manager_1") == ["Acme expansion"]
        assert self.visible_names("manager_2") == ["Cobalt renewal"]
        assert self.visible_names("executive") == ["Acme expansion", "Cobalt renewal"]
        assert self.visible_names("enablement") == []
        assert self.visible_names("admin") == ["Acme expansion", "Cobalt renewal"]

    def test_a_user_without_a_person_record_sees_nothing(self):
        from django.contrib.auth import get_user_model

        stranger = get_user_model().objects.create_user("stranger")
        assert not Opportunity.objects.visible_to(stranger).exists()
        assert not Person.objects.visible_to(stranger).exists()

    def test_an_inactive_user_sees_nothing(self):
        user = self.world.users["admin"]
        user.is_active = False
        assert not Opportunity.objects.visible_to(user).exists()

    def test_a_manager_may_not_change_their_own_target(self):
        from firstline.targets.models import Target

        mia = self.world.people["manager_1"]
        own = Target.objects.create(person=mia, period="2025Q1", amount=1)
        assert Target.objects.visible_to(self.world.users["manager_1"]).filter(pk=own.pk).exists()
        assert not Target.objects.editable_by(self.world.users["manager_1"]).filter(pk=own.pk).exists()

    def test_scope_costs_one_query_per_user_object(self):
        user = self.world.users["executive"]
        with self.assertNumQueries(3):  # the viewer (person, managed teams), then the list itself
            list(Opportunity.objects.visible_to(user))
        with self.assertNumQueries(1):
            list(Opportunity.objects.visible_to(user))
