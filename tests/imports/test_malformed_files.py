"""Property: no file, however malformed, causes an unhandled error or a partial write."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from firstline.io.engine import ImportRefused, run_import
from firstline.org.models import Membership, Person, Team
from firstline.pipeline.models import Account, Opportunity, Product, SalesStage, StageChange
from firstline.targets.models import Target
from tests.world import build_world

HEADERS = [
    "Opportunity ID",
    "Name",
    "Owner",
    "Account",
    "Amount",
    "Stage",
    "Created",
    "Close Date",
    "Email",
    "Reports To",
    "Office",
    "Product Code",
    "Product Name",
    "Period",
    "Quota",
    "Country",
    "Segment",
    "",
]
CELLS = st.one_of(
    st.sampled_from(
        [
            "Alice Archer",
            "Acme Corp",
            "Closed Won",
            "Prospect",
            "2024-01-05",
            "03/04/2024",
            "31/12/2024",
            "USD 1,054.00",
            "1.054,00 €",
            "-5",
            "=1+1",
            "",
            " ",
            "Q1 FY2025",
            "x@y.z",
            "seller_a@example.com",
            "Won",
            "Lost",
            "GB",
            "enterprise",
            '"',
            "\n",
            ";",
            "\x00",
        ]
    ),
    st.text(max_size=12),
)
ROW = st.lists(CELLS, min_size=0, max_size=10)
DELIMITER = st.sampled_from([",", ";", "\t", "|"])


@st.composite
def csv_files(draw) -> bytes:
    delimiter = draw(DELIMITER)
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=10))
    rows = draw(st.lists(ROW, max_size=8))
    text = "\r\n".join(delimiter.join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return text.encode(encoding, errors="replace")


FILES = st.one_of(csv_files(), st.binary(max_size=300), st.just(b"PK\x03\x04garbage"))
MODELS = (Person, Team, Membership, Account, Product, SalesStage, Opportunity, StageChange, Target)


class MalformedFileTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def snapshot(self):
        return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}

    @settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
    @given(
        data=FILES,
        kind=st.sampled_from(["people", "accounts", "products", "opportunities", "targets"]),
        persona=st.sampled_from(["admin", "manager_1", "seller_a"]),
    )
    def test_no_file_causes_an_unhandled_error_or_a_partial_write(self, data, kind, persona):
        before = self.snapshot()
        try:
            report, _changes = run_import(
                actor=self.world.users[persona], kind=kind, data=data, filename="f.csv"
            )
        except ImportRefused:
            assert self.snapshot() == before
            return
        if report.rejected_rows or not report.written:
            assert not report.written
            assert self.snapshot() == before
        else:
            assert report.created + report.updated + report.unchanged == report.rows
