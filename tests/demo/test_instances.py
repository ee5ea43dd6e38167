from datetime import date
from decimal import Decimal

import pytest

from firstline.demo.instances import InstanceFactory
from firstline.pipeline.models import Opportunity, StageChange
from tests.world import build_world


@pytest.mark.django_db
def test_a_factory_instance_equals_one_built_by_the_model_and_saves_the_same():
    world = build_world()
    values = {
        "name": "Bulk deal", "account_id": world.account_a.pk, "owner_id": world.people["seller_a"].pk,
        "amount": Decimal(5000), "stage_id": world.stages["won"].pk, "created": date(2025, 1, 1),
        "close_date": date(2025, 3, 1), "closed_on": date(2025, 3, 1),
    }  # fmt: skip
    built = InstanceFactory(Opportunity)(**values)
    expected = Opportunity(**values)
    for field in Opportunity._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(expected, field.attname), field.name
    (saved,) = Opportunity.objects.bulk_create([built])
    assert Opportunity.objects.get(pk=saved.pk).currency == "USD"


def test_a_factory_refuses_a_field_the_model_does_not_have():
    with pytest.raises(TypeError, match="StageChange has no field colour"):
        InstanceFactory(StageChange)(colour="red")


def test_the_fast_datetime_adapter_writes_what_django_writes(db):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from firstline.core.bulk import adapt_datetime, datetime_adapter

    adapt = datetime_adapter()
    for value in (
        datetime(2024, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2024, 1, 1, tzinfo=UTC),
    ):
        assert adapt(value) == adapt_datetime(value)
