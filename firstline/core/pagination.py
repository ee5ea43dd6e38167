"""API pagination (a module of its own: DRF imports it while loading its settings)."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page numbers as the schema says: a `page` that is not a whole number from 1 is refused (404,
    like a page past the last) instead of silently meaning the first page."""

    def paginate_queryset(self, queryset, request, view=None):
        pages = request.query_params.getlist(self.page_query_param)
        page = pages[0] if len(pages) == 1 else None
        if pages and not (page and page.isascii() and page.isdigit() and int(page) >= 1):
            raise NotFound("Invalid page.")
        return super().paginate_queryset(queryset, request, view)
