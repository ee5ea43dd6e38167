"""A small generic layer: every list, detail and edit page reads through the scoping mechanism."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.generic import DetailView, UpdateView
from django_filters.views import FilterView

from firstline.core.jobs import job_live
from firstline.core.models import Job
from firstline.core.pagination import CappedPaginator
from firstline.core.scoping import OutOfScope, get_visible_or_404, scoped_save


def sortable_headers(request, columns: list[tuple[str, str, bool]], default: str):
    """Read ?sort= (a column key, "-" first for descending) and describe each header for the template.

    `columns` are (key, label, numeric); a key of "" marks a column that does not sort.
    Returns the chosen key, whether it is descending, and the headers with their links and aria-sort.
    """
    keys = {key for key, _label, _numeric in columns if key}
    sort = request.GET.get("sort", default)
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in keys:
        key, descending = default.removeprefix("-"), default.startswith("-")
    headers = []
    for column, label, numeric in columns:
        current = column == key
        headers.append(
            {
                "label": label,
                "numeric": numeric,
                "sort": (f"-{column}" if current and not descending else column) if column else "",
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return key, descending, headers


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


class ScopedListView(FilterView):
    """A filtered, paginated list of what the user may see. htmx requests get only the results."""

    paginate_by = 50
    paginator_class = CappedPaginator
    select_related: tuple[str, ...] = ()
    partial_template_name: str = ""

    def default_filters(self) -> dict[str, str]:
        """Filter values the page opens with when the address does not name them (the API has none)."""
        return {}

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = kwargs["data"].copy() if kwargs["data"] is not None else QueryDict(mutable=True)
        for name, value in self.default_filters().items():
            data.setdefault(name, value)
        kwargs["data"] = data
        return kwargs

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).with_related(self.select_related)

    def get_template_names(self) -> list[str]:
        if is_htmx(self.request) and self.partial_template_name:
            return [self.partial_template_name]
        return super().get_template_names()


class ScopedDetailView(DetailView):
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).with_related(self.select_related)


class ScopedUpdateView(UpdateView):
    """Edit an object the user may change (anything else is 404) through the model's service."""

    service = staticmethod(scoped_save)  # a function(*, actor, instance)

    def get_queryset(self):
        return self.model.objects.editable_by(self.request.user)

    def form_valid(self, form):
        try:
            self.service(actor=self.request.user, instance=form.instance)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        except OutOfScope as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, f"Saved {form.instance}.")
        return redirect(form.instance.get_absolute_url())

    def form_invalid(self, form):
        # Focus lands on the first field to fix (the page's alert says why nothing was saved).
        first_invalid = next((name for name in form.fields if name in form.errors), None)
        if first_invalid:
            form.fields[first_invalid].widget.attrs["autofocus"] = True
        return super().form_invalid(form)


def job_progress(request, pk: int):
    """A job's progress: the bar alone for htmx polling, a whole page otherwise (Back, a bookmark)."""
    job = job_live(get_visible_or_404(Job.objects, request.user, pk=pk))
    template = "core/_job_progress.html" if is_htmx(request) else "core/job_detail.html"
    response = render(request, template, {"job": job})
    patch_vary_headers(response, ["HX-Request"])
    return response
