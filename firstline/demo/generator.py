"""The demo company, Northwind Analytics: a B2B software firm with three fiscal years of sales history.

`generate_demo()` is the one way to create it (the `firstline demo` command calls it); `demo_logins()`
finds the sign-in accounts to show afterwards. Every random choice comes from `random.Random`
instances derived from the seed, one per phase (the deals from numpy generators seeded by theirs, a
batch at a time), so the same seed on the same day gives the same company, and asking for more
opportunities leaves the org and accounts as they were.
"""

from dataclasses import dataclass, field
from datetime import date
from random import Random
from typing import TextIO

from firstline.core.bulk import foreign_keys_unchecked
from firstline.demo.accounts import build_accounts, build_sales_process
from firstline.demo.catalog import DEMO_PASSWORD, EMAIL_DOMAIN
from firstline.demo.coaching import build_coaching
from firstline.demo.company import TEAM_SIZE, build_company
from firstline.demo.deals import build_deal_guidance, refresh_deal_statistics
from firstline.demo.opportunities import build_opportunities
from firstline.demo.talent import build_talent
from firstline.demo.targets import build_targets
from firstline.demo.territories import build_territories
from firstline.demo.timeline import timeline as build_timeline
from firstline.kpis.rollup import results_rebuild
from firstline.org.models import Person, Role, TeamKind

DEFAULT_SELLERS = 60
DEFAULT_SEED = 7
ACCOUNTS_PER_SELLER = 4_000 / DEFAULT_SELLERS
OPPORTUNITIES_PER_SELLER = 25_000 / DEFAULT_SELLERS
NOT_EMPTY_MESSAGE = "The database already has data; use --if-empty to skip or start from an empty database."


class DatabaseNotEmpty(Exception):
    pass


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    name: str


@dataclass(frozen=True)
class DemoResult:
    counts: dict[str, int]
    logins: list[Login]
    planted: dict[str, list[int]] = field(default_factory=dict)  # risk signal → deals planted to trip it


def database_has_data() -> bool:
    return Person.objects.exists()


def default_accounts(sellers: int) -> int:
    return round(sellers * ACCOUNTS_PER_SELLER)


def default_opportunities(sellers: int) -> int:
    return round(sellers * OPPORTUNITIES_PER_SELLER)


def generate_demo(
    *,
    sellers: int = DEFAULT_SELLERS,
    accounts: int | None = None,
    opportunities: int | None = None,
    seed: int = DEFAULT_SEED,
    progress: TextIO | None = None,
    today: date | None = None,
) -> DemoResult:
    """Create the demo company in an empty database; `progress` receives the progress bars.

    Accounts and opportunities default to the numbers per seller of the 60-seller company.
    Raises DatabaseNotEmpty rather than mixing demo data into real data, and ValueError for sizes
    that cannot make a company.
    """
    accounts = default_accounts(sellers) if accounts is None else accounts
    opportunities = default_opportunities(sellers) if opportunities is None else opportunities
    _check_sizes(sellers=sellers, accounts=accounts, opportunities=opportunities)
    if database_has_data():
        raise DatabaseNotEmpty(NOT_EMPTY_MESSAGE)
    # Every key the demo writes is one it has just made, into an empty database (tests check them all).
    with foreign_keys_unchecked():
        seeds = Random(seed)
        org_rng, account_rng, deal_rng = (Random(seeds.getrandbits(64)) for _ in range(3))
        timeline = build_timeline(today)
        company = build_company(rng=org_rng, sellers=sellers, timeline=timeline)
        process = build_sales_process()
        books = build_accounts(rng=account_rng, sellers=company.sellers, count=accounts, progress=progress)
        totals = build_opportunities(
            rng=deal_rng,
            sellers=company.sellers,
            books=books,
            process=process,
            timeline=timeline,
            count=opportunities,
            progress=progress,
        )
        targets = build_targets(
            sellers=company.sellers,
            won_by_seller_quarter=totals.won_by_seller_quarter,
            timeline=timeline,
            progress=progress,
        )
        guidance = build_deal_guidance(
            rng=Random(seeds.getrandbits(64)), today=timeline.today, stage_stays=totals.stage_stays
        )
        # Deals went in through the bulk path, which sends no signals: the KPI results are built once here,
        # before the statistics refresh, whose team forecast figures read them (the recent win rate factor).
        results_rebuild()
        refresh_deal_statistics(guidance, today=timeline.today)
        territory_counts = build_territories(rng=Random(seeds.getrandbits(64)), today=timeline.today)
        counts = {
            **company.counts,
            "accounts": accounts,
            "products": len(process.product_ids),
            "sales stages": len(process.open_stage_ids) + 2,
            **totals.counts(),
            "targets": targets,
            **guidance.counts,
            **territory_counts,
            **build_coaching(seed=seed, timeline=timeline),
            **build_talent(seed=seed, timeline=timeline),
        }
        return DemoResult(counts=counts, logins=demo_logins(), planted=dict(guidance.planted))


def _check_sizes(*, sellers: int, accounts: int, opportunities: int) -> None:
    """Refuse impossible sizes before anything is written."""
    smallest_team = TEAM_SIZE[0]
    if sellers < smallest_team:
        raise ValueError(f"A demo company needs at least {smallest_team} sellers, one first-line team.")
    if accounts < sellers:
        raise ValueError("Ask for at least as many accounts as sellers, so that every seller owns one.")
    if opportunities < 0:
        raise ValueError("The number of opportunities cannot be negative.")


def demo_logins() -> list[Login]:
    """One demo sign-in per role: the VP, a first-line manager, a seller in that manager's team,
    the enablement lead and the admin. Roles without a demo user are left out."""
    demo = Person.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}", user__isnull=False).select_related(
        "user"
    )
    executive = demo.filter(managed_teams__kind=TeamKind.COMPANY).first()
    seller = demo.filter(role=Role.SELLER).order_by("pk").first()
    membership = seller.current_membership() if seller is not None else None
    if membership is not None and membership.team.manager_id is not None:
        manager = demo.filter(pk=membership.team.manager_id).first()
    else:
        manager = demo.filter(role=Role.MANAGER).order_by("pk").first()
    enablement = demo.filter(role=Role.ENABLEMENT).order_by("pk").first()
    admin = demo.filter(role=Role.ADMIN).order_by("pk").first()
    people = {
        Role.EXECUTIVE: executive,
        Role.MANAGER: manager,
        Role.SELLER: seller,
        Role.ENABLEMENT: enablement,
        Role.ADMIN: admin,
    }
    return [
        Login(role=role.value, username=person.user.username, password=DEMO_PASSWORD, name=person.name)
        for role, person in people.items()
        if person is not None
    ]
