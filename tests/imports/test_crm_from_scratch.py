"""A small CRM export built from scratch — people with seller/manager/office, accounts, products,
deals with mixed stages and empty values — imported with no mapping into an empty Firstline."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.io.engine import run_import
from firstline.org.models import Membership, Person, Role, Team, TeamKind
from firstline.pipeline.models import Account, Opportunity, Product

PEOPLE = """Full Name;Email Address;Job Title;Reports To;Sales Office
Vera Vance;vera@crm.test;VP Sales;;
Mia Moore;mia@crm.test;Sales Manager;Vera Vance;Boston
Nate Nolan;nate@crm.test;Sales Manager;Vera Vance;Denver
Alice Archer;alice@crm.test;Account Executive;Mia Moore;Boston
Bob Baker;bob@crm.test;Account Executive;mia moore;Boston
Carol Cole;carol@crm.test;Account Executive;Nate Nolan;Denver
"""

ACCOUNTS = """Account ID,Company Name,Account Owner,Industry,Billing Country,Annual Revenue
A-1,Acme Corp,Alice Archer,Manufacturing,US,"$1,200,000"
A-2,Blue Harbor,Bob Baker,Retail,US,
A-3,Cobalt Ltd,Carol Cole,,GB,"£ 300,000"
"""

PRODUCTS = """Product Code\tProduct Name\tProduct Family
GTX\tGTX Pro\tAnalytics
INS\tInsight Cloud\tPlatform
"""


def deals() -> str:
    quarter = fiscal_calendar().quarter_of(timezone.localdate())
    day = quarter.start.isoformat()
    later = (quarter.start + timedelta(days=400)).isoformat()
    return f"""Deal ID,Deal Owner,Company,Product,Amount,Deal Stage,Create Date,Close Date
D-1,Alice Archer,Acme Corp,GTXPro,"USD 10,000.00",Closed Won,2023-01-01,{day}
D-2,Alice Archer,Acme Corp,Insight Cloud,"5,500",Won,2023-01-01,{day}
D-3,Bob Baker,Blue Harbor,,"2,000",Closed Won,2023-01-01,{day}
D-4,Bob Baker,,,,Discovery,2023-01-01,
D-5,Carol Cole,Cobalt Ltd,GTX Pro,7000,Closed Lost,2023-01-01,{day}
D-6,Carol Cole,Cobalt Ltd,,"1,000",Closed Won,2023-01-01,{later}
D-7,Carol Cole,,,,Qualify,2023-01-01,
"""


class CrmExportFromScratchTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_user("root", is_superuser=True)

    def load(self, kind: str, text: str):
        report, _changes = run_import(actor=self.admin, kind=kind, data=text.encode(), filename=f"{kind}.csv")
        assert report.written, [str(e) for e in report.rejected]
        return report

    def test_the_whole_company_arrives_and_my_team_shows_each_sellers_won_amount(self):
        assert self.load("people", PEOPLE).created == 6
        assert self.load("accounts", ACCOUNTS).created == 3
        assert self.load("products", PRODUCTS).created == 2
        report = self.load("opportunities", deals())
        assert report.counts() == {"rows": 7, "created": 7, "updated": 0, "unchanged": 0, "rejected": 0}
        assert report.matches == {"GTXPro": "GTX Pro"}

        people = {p.name: p for p in Person.objects.all()}
        mia_team = Team.objects.get(manager=people["Mia Moore"], kind=TeamKind.TEAM)
        boston = Team.objects.get(name="Boston", kind=TeamKind.REGION)
        assert mia_team.parent == boston and boston.manager == people["Vera Vance"]
        current = {
            m.person.name: m.team for m in Membership.objects.current().select_related("person", "team")
        }
        assert current["Alice Archer"] == current["Bob Baker"] == mia_team
        assert current["Mia Moore"] == boston
        assert current["Carol Cole"].manager == people["Nate Nolan"]
        assert current["Carol Cole"].parent.name == "Denver"
        assert people["Mia Moore"].role == Role.MANAGER and people["Alice Archer"].role == Role.SELLER

        assert (Account.objects.count(), Product.objects.count(), Opportunity.objects.count()) == (3, 2, 7)
        assert Account.objects.get(external_id="A-1").market_potential == Decimal("1200000")
        early = Opportunity.objects.get(external_id="D-4")
        assert (early.account, early.amount, early.close_date, early.name) == (None, None, None, "D-4")

        self.client.force_login(self.admin)
        response = self.client.get(reverse("kpis:my_team"))
        won = {row.key.name: row.won_amount for row in response.context["rows"]}
        assert won == {
            "Alice Archer": Decimal("15500"),
            "Bob Baker": Decimal("2000"),
            "Carol Cole": Decimal("0"),
        }

    def test_importing_the_people_file_twice_changes_nothing(self):
        self.load("people", PEOPLE)
        teams, memberships = Team.objects.count(), Membership.objects.count()
        again = self.load("people", PEOPLE)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
        assert (Team.objects.count(), Membership.objects.count()) == (teams, memberships)
