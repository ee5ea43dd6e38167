"""Pagination that stays cheap at a million rows.

Counting every row a VP may see costs as much as reading them, and a page deep in the list makes the
database skip all the rows before it. Pages therefore count at most COUNT_CAP rows ("10,000+" is
all a person needs to know to narrow the filter) and so never go deeper than COUNT_CAP rows; the API
pages by keyset (a cursor on the ordering), which costs the same on the first page and the last.

A module of its own: DRF imports it while loading its settings.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        if not hasattr(self.object_list, "query"):
            return len(self.object_list)
        # COUNT(*) over a LIMITed subquery: the database stops after COUNT_CAP + 1 rows.
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    def page(self, number):
        """The page's ids first (read from an index, skipping rows cheaply), then only those rows
        with their related objects: OFFSET no longer joins every row it skips."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not hasattr(self.object_list, "query"):
            return super().page(number)
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        rows = list(self.object_list.filter(pk__in=ids)) if ids else []
        return self._get_page(rows, number, self)


class KeysetPagination(CursorPagination):
    """Keyset pages for the API: `next` and `previous` links carry an opaque cursor.

    `?ordering=` (the FilterSet's sort choices) picks another sort field; the id breaks ties."""

    page_size = 50
    ordering = ("pk",)
    sortable: frozenset[str] = frozenset()

    def paginate_queryset(self, queryset, request, view=None):
        if "page" in request.query_params:
            # Say so rather than quietly serve the first page to a client counting pages.
            raise ValidationError({"page": ["This list is paged by cursor: follow the `next` link."]})
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request, queryset, view):
        asked = request.query_params.get("ordering", "")
        if asked.removeprefix("-") in self.sortable:
            return (asked, "-id" if asked.startswith("-") else "id")
        return self.ordering


def keyset_pagination(*fields: str, sortable: tuple[str, ...] = ()) -> type[KeysetPagination]:
    """A keyset pagination ordered by `fields` (a unique last field keeps the order total)."""
    attributes = {"ordering": fields, "sortable": frozenset(sortable)}
    return type("KeysetPagination", (KeysetPagination,), attributes)


class Pagination(PageNumberPagination):
    """Page numbers as the schema says: a `page` that is not a whole number from 1 is refused (404,
    like a page past the last) instead of silently meaning the first page."""

    def paginate_queryset(self, queryset, request, view=None):
        pages = request.query_params.getlist(self.page_query_param)
        page = pages[0] if len(pages) == 1 else None
        if pages and not (page and page.isascii() and page.isdigit() and int(page) >= 1):
            raise NotFound("Invalid page.")
        return super().paginate_queryset(queryset, request, view)
