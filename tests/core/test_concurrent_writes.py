import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.core.scoping import save_in_scope
from firstline.deals.models import DealForecast
from tests.world import build_world


@pytest.mark.django_db(transaction=True)
def test_a_unique_value_taken_by_a_concurrent_write_is_a_validation_error_and_nothing_is_written():
    """Two requests pass the model's checks at once; the second save meets the database's unique
    index. That is the user's 400, not a 500 (schemathesis found it with two personas at once)."""
    world = build_world()
    DealForecast.objects.create(opportunity=world.opportunity_a, updated_at=timezone.now())
    late = DealForecast(
        opportunity=world.opportunity_a, updated_at=timezone.now()
    )  # what the model's check saw as free
    with pytest.raises(ValidationError, match="at the same time"):
        save_in_scope(world.users["manager_1"], late, late.save)
    assert DealForecast.objects.filter(opportunity=world.opportunity_a).count() == 1
