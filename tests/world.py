"""The personas every test speaks of, in one small company:

    Northwind (company, led by Erin the executive)
    ├── East (team, led by Mia; sellers Alice and Bob)
    └── West (team, led by Nate; seller Carol)

plus Eve (enablement) and Dana (admin), two accounts, two opportunities, two targets.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.org.models import Membership, Person, Role, Team, TeamKind
from firstline.pipeline.models import Account, Opportunity, Outcome, Product, SalesStage, StageChange
from firstline.targets.models import Target

PERSONAS = (
    "anonymous",
    "seller_a",
    "seller_b",
    "seller_c",
    "manager_1",
    "manager_2",
    "executive",
    "enablement",
    "admin",
)


@dataclass
class World:
    people: dict
    users: dict
    company: Team
    east: Team
    west: Team
    stages: dict
    product: Product
    account_a: Account
    account_c: Account
    opportunity_a: Opportunity
    opportunity_c: Opportunity
    target_a: Target
    target_c: Target


def _person(key: str, name: str, role: str, title: str = ""):
    user = get_user_model().objects.create_user(username=key, password=None, is_superuser=role == Role.ADMIN)
    person = Person.objects.create(user=user, name=name, email=f"{key}@example.com", role=role, title=title)
    return person, user


def build_world() -> World:
    people, users = {}, {}
    for key, name, role in [
        ("seller_a", "Alice Archer", Role.SELLER),
        ("seller_b", "Bob Baker", Role.SELLER),
        ("seller_c", "Carol Cole", Role.SELLER),
        ("manager_1", "Mia Moore", Role.MANAGER),
        ("manager_2", "Nate Nolan", Role.MANAGER),
        ("executive", "Erin Ellis", Role.EXECUTIVE),
        ("enablement", "Eve Evans", Role.ENABLEMENT),
        ("admin", "Dana Diaz", Role.ADMIN),
    ]:
        people[key], users[key] = _person(key, name, role)
    company = Team.objects.create(name="Northwind", kind=TeamKind.COMPANY, manager=people["executive"])
    east = Team.objects.create(name="East", parent=company, manager=people["manager_1"])
    west = Team.objects.create(name="West", parent=company, manager=people["manager_2"])
    start = date(2024, 1, 1)
    for key, team in [
        ("seller_a", east),
        ("seller_b", east),
        ("seller_c", west),
        ("manager_1", company),
        ("manager_2", company),
        ("executive", company),
        ("enablement", company),
    ]:
        Membership.objects.create(person=people[key], team=team, start=start)

    stages = {
        "prospect": SalesStage.objects.create(
            name="Prospect", order=1, probability=10, exit_criteria="A need is named."
        ),
        "propose": SalesStage.objects.create(name="Propose", order=2, probability=60),
        "won": SalesStage.objects.create(name="Closed Won", order=3, probability=100, outcome=Outcome.WON),
        "lost": SalesStage.objects.create(name="Closed Lost", order=4, probability=0, outcome=Outcome.LOST),
    }
    product = Product.objects.create(name="Insight Cloud", code="IC")
    account_a = Account.objects.create(
        name="Acme Corp", owner=people["seller_a"], market_potential=Decimal(500_000)
    )
    account_c = Account.objects.create(
        name="Cobalt Ltd", owner=people["seller_c"], market_potential=Decimal(200_000)
    )
    today = timezone.localdate()
    opportunity_a = Opportunity.objects.create(
        name="Acme expansion",
        account=account_a,
        owner=people["seller_a"],
        amount=Decimal(120_000),
        stage=stages["prospect"],
        created=today - timedelta(days=30),
        close_date=today + timedelta(days=20),
        external_id="CRM-A",
    )
    opportunity_c = Opportunity.objects.create(
        name="Cobalt renewal",
        account=account_c,
        owner=people["seller_c"],
        amount=Decimal(80_000),
        stage=stages["prospect"],
        created=today - timedelta(days=10),
        close_date=today + timedelta(days=40),
    )
    for opportunity in (opportunity_a, opportunity_c):
        StageChange.objects.create(
            opportunity=opportunity, stage=opportunity.stage, changed_at=timezone.now()
        )
    quarter = fiscal_calendar().quarter_of(today)
    target_a = Target.objects.create(person=people["seller_a"], period=quarter.label, amount=Decimal(300_000))
    target_c = Target.objects.create(person=people["seller_c"], period=quarter.label, amount=Decimal(250_000))
    return World(
        people,
        users,
        company,
        east,
        west,
        stages,
        product,
        account_a,
        account_c,
        opportunity_a,
        opportunity_c,
        target_a,
        target_c,
    )
