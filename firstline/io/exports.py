"""CSV and XLSX exports of the list pages (filtered by the page's own FilterSet, through the same
scoping) and of the My team KPI table. Text cells that a spreadsheet would run as a formula are
neutralised with a leading apostrophe."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from firstline.kpis.selectors import seller_figures
from firstline.kpis.views import requested_period
from firstline.org.filtersets import PersonFilterSet
from firstline.org.models import Membership, Person, Role
from firstline.org.scoping import viewer
from firstline.pipeline.filtersets import AccountFilterSet, OpportunityFilterSet
from firstline.pipeline.models import Account, Opportunity
from firstline.targets.filtersets import TargetFilterSet
from firstline.targets.models import Target

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header


def neutralise(value):
    """A text cell starting like a formula gets a leading apostrophe; numbers and dates stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ListExport:
    model: type
    filterset: type
    columns: tuple[tuple[str, str], ...]  # (header, values() path)


LISTS = {
    "opportunities": ListExport(
        Opportunity,
        OpportunityFilterSet,
        (
            ("External id", "external_id"),
            ("Name", "name"),
            ("Account", "account__name"),
            ("Owner", "owner__name"),
            ("Product", "product__name"),
            ("Amount", "amount"),
            ("Currency", "currency"),
            ("Stage", "stage__name"),
            ("Status", "stage__outcome"),
            ("Created", "created"),
            ("Engaged", "engaged_on"),
            ("Close date", "close_date"),
            ("Closed on", "closed_on"),
            ("Loss reason", "loss_reason"),
            ("Competitor", "competitor"),
            ("Next step", "next_step"),
        ),
    ),
    "accounts": ListExport(
        Account,
        AccountFilterSet,
        (
            ("External id", "external_id"),
            ("Name", "name"),
            ("Owner", "owner__name"),
            ("Industry", "industry"),
            ("Segment", "segment"),
            ("City", "city"),
            ("Country", "country"),
            ("Market potential", "market_potential"),
            ("Currency", "currency"),
        ),
    ),
    "targets": ListExport(
        Target,
        TargetFilterSet,
        (
            ("Person", "person__name"),
            ("Metric", "metric"),
            ("Period", "period"),
            ("Amount", "amount"),
            ("Currency", "currency"),
        ),
    ),
    "people": ListExport(
        Person,
        PersonFilterSet,
        (
            ("Name", "name"),
            ("Email", "email"),
            ("Title", "title"),
            ("Role", "role"),
            ("Hired on", "hired_on"),
        ),
    ),
}


def export_list(request, name: str, fmt: str):
    if fmt not in {"csv", "xlsx"}:
        raise Http404("Exports are CSV or XLSX.")
    if name == "my-team":
        headers, rows = _my_team(request)
    elif name in LISTS:
        headers, rows = _list_rows(request, LISTS[name])
    else:
        raise Http404("No such list.")
    stem = f"{name}-{timezone.localdate():%Y-%m-%d}"
    if fmt == "csv":
        return _csv(stem, headers, rows)
    return _xlsx(stem, headers, rows)


def _list_rows(request, spec: ListExport):
    queryset = spec.model.objects.visible_to(request.user)
    filterset = spec.filterset(request.GET or None, queryset=queryset, request=request)
    # An invalid filter exports nothing, as the page shows nothing.
    queryset = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    paths = [path for _header, path in spec.columns]
    return [header for header, _path in spec.columns], queryset.values_list(*paths).iterator(chunk_size=5_000)


def _my_team(request):
    who = viewer(request.user)
    if not who.managed_paths and not who.is_admin:
        raise Http404("You do not lead a team.")
    period = requested_period(request)
    members = Membership.objects.current()
    if who.managed_paths:
        members = members.filter(who.subtree_q("team__path"))
    members = (
        members.filter(person__role=Role.SELLER)
        .select_related("person", "team")
        .order_by("team__path", "person__name")
    )
    memberships = list(members)
    figures = seller_figures(user=request.user, people=[m.person for m in memberships], period=period)
    headers = ["Seller", "Team", "Period", "Closed won", "Target", "To plan", "Open pipeline"]
    rows = [
        (
            row.person.name,
            membership.team.name,
            period.label,
            row.won,
            row.target,
            row.percent_to_plan if row.percent_to_plan is not None else "no data",
            row.open_pipeline,
        )
        for row, membership in zip(figures, memberships, strict=True)
    ]
    return headers, rows


class _Echo:
    def write(self, value):
        return value


def _csv(stem: str, headers, rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # a BOM, so spreadsheets read UTF-8 names right
        yield writer.writerow(headers)
        for row in rows:
            yield writer.writerow([_text(neutralise(value)) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _xlsx(stem: str, headers, rows) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(stem[:31])
    sheet.append(headers)
    for count, row in enumerate(rows, start=1):
        if count > XLSX_MAX_ROWS:
            sheet.append([f"Cut at {XLSX_MAX_ROWS:,} rows, Excel's limit: export CSV for everything."])
            break
        sheet.append([_xlsx_value(neutralise(value)) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


def _xlsx_value(value):
    # Money has at most 14 digits here, which a float (Excel's only number) holds exactly enough.
    return float(value) if isinstance(value, Decimal) else value
