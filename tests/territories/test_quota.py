"""Quota allocation arithmetic: proposals add up to the target and the explanations match them."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from firstline.territories.quota import SellerInput, allocate, over_assignment

W = {"history": Decimal("0.5"), "potential": Decimal("0.3"), "pipeline": Decimal("0.2")}


def seller(key, history, potential, pipeline):
    return SellerInput(key, f"S{key}", Decimal(history), Decimal(potential), Decimal(pipeline))


def test_the_blend_follows_the_documented_formula():
    sellers = [seller(1, 300, 100, 0), seller(2, 100, 300, 50)]
    alloc = allocate(Decimal(1000), sellers, W)
    # seller 1: 0.5 × 300/400 + 0.3 × 100/400 + 0.2 × 0/50 = 0.375 + 0.075 = 0.45
    assert alloc[0].share == Decimal("0.45")
    assert alloc[0].proposed == Decimal("450.00") and alloc[1].proposed == Decimal("550.00")
    assert "75.0% of the team's last year's won revenue (300 of 400) × weight 0.50" in alloc[0].explanation
    assert alloc[0].explanation.endswith("= 45.0% of the 1,000 target = 450.")


def test_a_component_nobody_has_gives_its_weight_to_the_others_and_says_so():
    sellers = [seller(1, 300, 100, 0), seller(2, 100, 300, 0)]
    alloc = allocate(Decimal(1000), sellers, W)
    # pipeline is zero everywhere: weights become 0.625 / 0.375
    assert alloc[0].share == Decimal("0.625") * Decimal("0.75") + Decimal("0.375") * Decimal("0.25")
    assert "Open pipeline: none in the team" in alloc[0].explanation


def test_an_empty_team_history_splits_evenly():
    alloc = allocate(Decimal(100), [seller(1, 0, 0, 0), seller(2, 0, 0, 0), seller(3, 0, 0, 0)], W)
    assert [a.proposed for a in alloc] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert "even split" in alloc[0].explanation


def test_over_assignment_ratio_and_gap():
    ratio, gap = over_assignment(Decimal(1000), [Decimal(600), Decimal(500)])
    assert ratio == Decimal("1.1") and gap == Decimal(100)


amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.lists(st.tuples(amounts, amounts, amounts), min_size=1, max_size=15),
)
def test_proposals_always_add_up_to_the_target_and_each_explanation_states_its_amount(target, rows):
    sellers = [seller(i, *row) for i, row in enumerate(rows)]
    alloc = allocate(target, sellers, W, money=str)
    assert sum(a.proposed for a in alloc) == target
    assert all(a.proposed >= 0 for a in alloc)
    assert all(a.explanation.endswith(f"{a.proposed}.") for a in alloc)
