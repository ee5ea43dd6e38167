"""The demo company's products, sales process and accounts."""

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import TextIO

from django.conf import settings
from django.db import transaction
from tqdm import tqdm

from firstline.core.bulk import insert_rows, reserve_ids
from firstline.demo.catalog import (
    INDUSTRIES,
    LEGAL_FORMS,
    LOST_STAGE,
    NAME_ENDINGS,
    NAME_STEMS,
    OPEN_STAGES,
    POTENTIAL_MEDIAN,
    PRODUCTS,
    SEGMENTS,
    WON_STAGE,
    ProductSpec,
)
from firstline.demo.company import SellerProfile
from firstline.pipeline.models import Account, Product, SalesStage

BATCH_SIZE = 5_000
ACCOUNT_COLUMNS = [
    "id",
    "name",
    "external_id",
    "industry",
    "segment",
    "city",
    "country",
    "latitude",
    "longitude",
    "market_potential",
    "currency",
    "owner_id",
]
_FIVE_PLACES = Decimal("0.00001")


@dataclass(frozen=True)
class SalesProcess:
    open_stage_ids: tuple[int, ...]
    won_stage_id: int
    lost_stage_id: int
    product_ids: tuple[int, ...]
    products: tuple[ProductSpec, ...]
    product_cum_weights: tuple[float, ...]


@dataclass
class AccountBook:
    """The accounts one seller owns, with cumulative weights so that big accounts see more deals."""

    ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)  # index into SEGMENTS
    cum_weights: list[float] = field(default_factory=list)


def build_sales_process() -> SalesProcess:
    stages = [*OPEN_STAGES, WON_STAGE, LOST_STAGE]
    with transaction.atomic():
        saved_stages = SalesStage.objects.bulk_create(
            SalesStage(
                name=spec.name,
                order=order,
                probability=spec.probability,
                outcome=spec.outcome,
                exit_criteria=spec.exit_criteria,
            )
            for order, spec in enumerate(stages, start=1)
        )
        saved_products = Product.objects.bulk_create(
            Product(name=spec.name, code=spec.code, family=spec.family) for spec in PRODUCTS
        )
    stage_ids = [stage.pk for stage in saved_stages]
    return SalesProcess(
        open_stage_ids=tuple(stage_ids[: len(OPEN_STAGES)]),
        won_stage_id=stage_ids[-2],
        lost_stage_id=stage_ids[-1],
        product_ids=tuple(product.pk for product in saved_products),
        products=PRODUCTS,
        product_cum_weights=tuple(itertools.accumulate(spec.weight for spec in PRODUCTS)),
    )


def build_accounts(
    *, rng: Random, sellers: list[SellerProfile], count: int, progress: TextIO | None
) -> list[AccountBook]:
    """Spread `count` accounts over the sellers, in the cities of each seller's region."""
    books = [AccountBook() for _ in sellers]
    names: set[str] = set()
    currency = settings.DEFAULT_CURRENCY
    pending: list[tuple[AccountBook, tuple, int]] = []
    with tqdm(total=count, desc="Accounts", unit=" accounts", file=progress, disable=progress is None) as bar:
        for number in range(count):
            seller = sellers[number % len(sellers)]
            pending.append((books[seller.index], *_account(rng, seller, names, currency)))
            if len(pending) == BATCH_SIZE or number == count - 1:
                _save_accounts(pending)
                bar.update(len(pending))
                pending = []
    return books


def _account(rng: Random, seller: SellerProfile, names: set[str], currency: str) -> tuple[tuple, int]:
    """An account's row in the order of ACCOUNT_COLUMNS without its id (a plain tuple: a model
    instance per account cost as much as drawing it), and its segment's index."""
    segment = rng.choices(range(len(SEGMENTS)), weights=seller.focus.segment_weights)[0]
    industry = rng.choice(tuple(INDUSTRIES))
    city = rng.choice(seller.region.cities)
    potential = POTENTIAL_MEDIAN[segment] * rng.lognormvariate(0, 0.8)
    row = (
        _account_name(rng, industry, names, city.name),
        None,  # external_id: the demo's accounts come from no CRM
        industry,
        SEGMENTS[segment],
        city.name,
        city.country,
        Decimal(city.latitude + rng.uniform(-0.12, 0.12)).quantize(_FIVE_PLACES),
        Decimal(city.longitude + rng.uniform(-0.12, 0.12)).quantize(_FIVE_PLACES),
        Decimal(max(round(potential, -3), 5_000)),
        currency,
        seller.person_id,
    )
    return row, segment


def _account_name(rng: Random, industry: str, taken: set[str], city: str) -> str:
    for _ in range(4):
        stem = f"{rng.choice(NAME_STEMS)}{rng.choice(NAME_ENDINGS)}"
        name = f"{stem} {rng.choice(INDUSTRIES[industry])}{rng.choice(LEGAL_FORMS)}"
        if name not in taken:
            break
    else:
        # A large demo runs out of short names; the city keeps the rest apart, as it does for real firms.
        base = name = f"{name}, {city}"
        for number in itertools.count(2):
            if name not in taken:
                break
            name = f"{base} {number}"
    taken.add(name)
    return name


def _save_accounts(pending: list[tuple[AccountBook, tuple, int]]) -> None:
    with transaction.atomic():
        # The import app's fast path, as for opportunities: ids reserved, plain INSERT/COPY.
        ids = reserve_ids(Account, len(pending))
        insert_rows(
            Account,
            ACCOUNT_COLUMNS,
            ((pk, *row) for pk, (_book, row, _segment) in zip(ids, pending, strict=True)),
        )
    for pk, (book, (name, *_rest, potential, _currency, _owner), segment) in zip(ids, pending, strict=True):
        book.ids.append(pk)
        book.names.append(name)
        book.segments.append(segment)
        # Bigger accounts buy more often, but not in proportion to their size.
        weight = float(potential) ** 0.5
        book.cum_weights.append((book.cum_weights[-1] if book.cum_weights else 0.0) + weight)
