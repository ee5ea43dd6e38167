from collections import defaultdict
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test import RequestFactory
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.demo.generator import NOT_EMPTY_MESSAGE, generate_demo
from firstline.org.models import Membership, Person, Role, Team, TeamKind
from firstline.pipeline.models import Account, Opportunity, Outcome, StageChange
from firstline.targets.models import Metric, Target

SMALL = {"sellers": 45, "accounts": 180, "opportunities": 900}
SMALL_ARGUMENTS = ["--sellers", "45", "--accounts", "180", "--opportunities", "900"]


def run_demo(*arguments: str) -> str:
    stdout = StringIO()
    call_command("demo", *arguments, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def printed_logins(output: str) -> dict[str, tuple[str, str]]:
    """role → (username, password), read from the table the command prints."""
    lines = output.splitlines()
    header = next(index for index, line in enumerate(lines) if line.split()[:2] == ["role", "username"])
    return {
        role: (username, password)
        for role, username, password, *_ in (line.split() for line in lines[header + 1 :])
    }


def company_summary() -> dict:
    return {
        "people": Person.objects.count(),
        "teams": Team.objects.count(),
        "accounts": Account.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "stage changes": StageChange.objects.count(),
        "targets": Target.objects.count(),
        "amount": Opportunity.objects.aggregate(total=Sum("amount"))["total"],
        "first names": list(Opportunity.objects.order_by("external_id").values_list("name", flat=True)[:20]),
        "people names": list(Person.objects.order_by("email").values_list("name", flat=True)),
    }


def summary_of_a_run(**options) -> dict:
    """Generate inside a transaction that is rolled back, so a second run starts from empty again."""
    with transaction.atomic():
        generate_demo(**options)
        summary = company_summary()
        transaction.set_rollback(True)
    return summary


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_company():
    first = summary_of_a_run(**SMALL, seed=11)
    second = summary_of_a_run(**SMALL, seed=11)
    other_seed = summary_of_a_run(**SMALL, seed=12)

    assert first == second
    assert first["opportunities"] == 900
    assert other_seed["first names"] != first["first names"]


@pytest.mark.django_db
def test_it_builds_a_company_with_one_vp_regions_and_first_line_teams():
    generate_demo(**SMALL)

    company = Team.objects.get(kind=TeamKind.COMPANY)
    assert company.manager.role == Role.EXECUTIVE
    assert Team.objects.filter(manager__role=Role.EXECUTIVE, kind=TeamKind.COMPANY).count() == 1
    regions = Team.objects.filter(kind=TeamKind.REGION)
    assert 1 <= regions.count() <= 3
    assert all(region.parent_id == company.pk and region.manager_id for region in regions)
    teams = Team.objects.filter(kind=TeamKind.TEAM).select_related("manager", "parent")
    assert 6 <= teams.count() <= 10
    assert Person.objects.filter(role=Role.MANAGER).count() == teams.count()
    assert all(team.manager.role == Role.MANAGER and team.parent.kind == TeamKind.REGION for team in teams)
    assert all(team.path == f"{team.parent.path}{team.pk}/" for team in teams)
    assert Person.objects.filter(role=Role.ENABLEMENT).count() == 1
    assert Person.objects.filter(role=Role.ADMIN).count() == 1


@pytest.mark.django_db
def test_every_seller_is_in_exactly_one_team_now_and_moves_do_not_overlap():
    generate_demo(**SMALL)

    current = Membership.objects.current().filter(person__role=Role.SELLER)
    assert current.count() == Person.objects.filter(role=Role.SELLER).count() == SMALL["sellers"]
    sizes = current.values("team").annotate(sellers=Count("person"))
    assert all(5 <= row["sellers"] <= 12 for row in sizes)
    assert {row["team"] for row in sizes} == set(
        Team.objects.filter(kind=TeamKind.TEAM).values_list("pk", flat=True)
    )
    by_person = defaultdict(list)
    for membership in Membership.objects.order_by("person", "start"):
        by_person[membership.person_id].append(membership)
    for memberships in by_person.values():
        for earlier, later in pairwise(memberships):
            assert earlier.end is not None and earlier.end < later.start
        for membership in memberships:
            membership.full_clean()


@pytest.mark.django_db
def test_accounts_belong_to_sellers_and_have_a_place_and_potential():
    generate_demo(**SMALL)

    accounts = Account.objects.select_related("owner")
    assert accounts.count() == SMALL["accounts"]
    for account in accounts:
        assert account.owner.role == Role.SELLER
        assert account.market_potential > 0
        assert account.city and len(account.country) == 2
        assert -90 <= account.latitude <= 90 and -180 <= account.longitude <= 180
        account.full_clean()


@pytest.mark.django_db
def test_opportunities_end_their_history_in_their_current_stage():
    planted_without_next_step = set(generate_demo(**SMALL).planted.get("no_next_step", []))

    history = defaultdict(list)
    for opportunity_id, stage_id, changed_at in StageChange.objects.order_by(
        "opportunity", "changed_at", "pk"
    ).values_list("opportunity", "stage", "changed_at"):
        history[opportunity_id].append((stage_id, changed_at))
    now = timezone.now()
    for opportunity in Opportunity.objects.select_related("stage"):
        changes = history[opportunity.pk]
        assert changes[-1][0] == opportunity.stage_id
        assert timezone.localdate(changes[0][1]) == opportunity.created
        assert all(at.tzinfo is not None and at <= now for _, at in changes)
        assert opportunity.external_id.startswith("DEMO-")
        if opportunity.stage.outcome == Outcome.OPEN:
            assert opportunity.closed_on is None
            assert bool(opportunity.next_step) != (opportunity.pk in planted_without_next_step)
        else:
            assert opportunity.closed_on == opportunity.close_date == timezone.localdate(changes[-1][1])
            assert opportunity.created < opportunity.closed_on
        if opportunity.stage.outcome == Outcome.LOST:
            assert opportunity.loss_reason and opportunity.competitor


@pytest.mark.django_db
def test_the_won_lost_mix_is_realistic():
    generate_demo(**SMALL)

    won = Opportunity.objects.won().count()
    lost = Opportunity.objects.lost().count()
    assert 0.15 <= won / (won + lost) <= 0.45
    assert Opportunity.objects.open().exists()


@pytest.mark.django_db
def test_every_seller_has_a_revenue_target_for_each_quarter_since_hire():
    generate_demo(**SMALL)

    calendar = fiscal_calendar()
    this_year = calendar.fiscal_year(timezone.localdate())
    quarters = [
        calendar.quarter(year, q) for year in range(this_year - 2, this_year + 1) for q in range(1, 5)
    ]
    for seller in Person.objects.filter(role=Role.SELLER).prefetch_related("targets"):
        targets = {target.period: target for target in seller.targets.all()}
        expected = [quarter for quarter in quarters if quarter.end >= seller.hired_on]
        assert sorted(targets) == sorted(quarter.label for quarter in expected)
        for quarter in expected:
            target = targets[quarter.label]
            assert (target.metric, target.start, target.end) == (Metric.REVENUE, quarter.start, quarter.end)
            assert target.amount > 0
    assert not Target.objects.exclude(person__role=Role.SELLER).exists()


@pytest.mark.django_db
def test_it_refuses_a_database_that_already_has_people():
    Person.objects.create(name="Rita Real", email="rita@example.com")

    with pytest.raises(CommandError, match="^" + NOT_EMPTY_MESSAGE.replace(".", r"\.") + "$"):
        run_demo(*SMALL_ARGUMENTS)

    assert not Team.objects.exists()


@pytest.mark.django_db
def test_it_refuses_sizes_that_cannot_make_a_company_before_writing_anything():
    with pytest.raises(CommandError, match="at least as many accounts as sellers"):
        run_demo("--sellers", "45", "--accounts", "10")
    with pytest.raises(CommandError, match="at least 5 sellers"):
        run_demo("--sellers", "4")

    assert not Person.objects.exists()


@pytest.mark.django_db
def test_if_empty_leaves_existing_data_and_prints_the_logins():
    first_output = run_demo(*SMALL_ARGUMENTS)
    opportunities = Opportunity.objects.count()

    output = run_demo(*SMALL_ARGUMENTS, "--if-empty")

    assert "skipped" in output
    assert Opportunity.objects.count() == opportunities
    assert printed_logins(output) == printed_logins(first_output)


@pytest.mark.django_db
def test_the_printed_logins_sign_in_as_each_role():
    logins = printed_logins(run_demo(*SMALL_ARGUMENTS))

    assert set(logins) == {Role.EXECUTIVE, Role.MANAGER, Role.SELLER, Role.ENABLEMENT, Role.ADMIN}
    users = {}
    for role, (username, password) in logins.items():
        users[role] = authenticate(RequestFactory().post("/login/"), username=username, password=password)
        assert users[role] is not None, role
        assert users[role].person.role == role
    assert users[Role.ADMIN].is_superuser and users[Role.ADMIN].is_staff
    manager_team = Team.objects.get(manager=users[Role.MANAGER].person, kind=TeamKind.TEAM)
    assert users[Role.SELLER].person.current_membership().team == manager_team


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_every_key_it_writes_unchecked_points_at_a_row():
    """Out of a transaction SQLite really skips the foreign key checks during the build (inside one
    they run as usual): check afterwards, and check that they are on again."""
    generate_demo(**SMALL)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert cursor.execute("PRAGMA foreign_keys").fetchone() == (1,)
    connection.check_constraints()  # raises IntegrityError naming the first dangling key
    assert StageChange.objects.count() > SMALL["opportunities"]
