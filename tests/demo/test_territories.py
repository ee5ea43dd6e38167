"""The demo's territories: one per seller, plans with a year of monthly reviews, one unbalanced team."""

import pytest
from django.db.models import Count, F, Sum

from firstline.demo.generator import generate_demo
from firstline.org.models import Membership, Role, Team, TeamKind
from firstline.pipeline.models import Account
from firstline.territories.models import PlanReview, Territory, TerritoryAssignment, TerritoryPlan

SMALL = {"sellers": 45, "accounts": 2000, "opportunities": 900}


@pytest.mark.django_db
def test_every_seller_has_a_territory_plans_with_reviews_and_one_team_is_out_of_balance():
    generate_demo(**SMALL)
    sellers = set(
        Membership.objects.current().filter(person__role=Role.SELLER).values_list("person_id", flat=True)
    )
    assert set(Territory.objects.values_list("owner_id", flat=True)) == sellers
    # Every located account is in exactly one territory, owned by the territory's seller.
    assert TerritoryAssignment.objects.current().count() == Account.objects.exclude(latitude=None).count()
    assert (
        not TerritoryAssignment.objects.current().exclude(account__owner_id=F("territory__owner_id")).exists()
    )
    # Two plans per seller (last year and this), last year's with twelve monthly reviews.
    assert TerritoryPlan.objects.count() == 2 * len(sellers)
    reviews = PlanReview.objects.values("plan_id").annotate(n=Count("pk")).values_list("n", flat=True)
    assert max(reviews) == 12
    # The first team's potential is far apart; the others are within a few percent.
    spreads = []
    for team in Team.objects.filter(kind=TeamKind.TEAM).order_by("pk"):
        totals = list(
            TerritoryAssignment.objects.current()
            .filter(territory__team=team)
            .values("territory_id")
            .annotate(p=Sum("account__market_potential"))
            .values_list("p", flat=True)
        )
        spreads.append(float(max(totals) / min(totals)))
    assert spreads[0] > 2
    assert max(spreads[1:]) < spreads[0]
