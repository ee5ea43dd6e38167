from auditlog.models import LogEntry
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.generic import CreateView

from firstline.core.periods import fiscal_calendar
from firstline.core.scoping import OutOfScope
from firstline.core.views import ScopedDetailView, ScopedListView, ScopedUpdateView
from firstline.org.models import Person
from firstline.targets.filtersets import TargetFilterSet
from firstline.targets.forms import TARGET_PEOPLE, KudosForm, TargetForm, TargetRaiseForm
from firstline.targets.models import Target
from firstline.targets.services import kudos_give, target_raise, target_raise_preview, target_save


class TargetListView(ScopedListView):
    model = Target
    filterset_class = TargetFilterSet
    select_related = ("person", "team")
    template_name = "targets/target_list.html"
    partial_template_name = "targets/_target_table.html"

    def default_filters(self):
        return {"period": fiscal_calendar().quarter_of(timezone.localdate()).label}


class TargetDetailView(ScopedDetailView):
    """A target and its audit trail: who changed it, when, from what to what."""

    model = Target
    select_related = ("person", "team")
    template_name = "targets/target_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = LogEntry.objects.get_for_object(self.object).select_related("actor")[:50]
        changeable = Target.objects.editable_by(self.request.user)
        context["may_change"] = changeable.filter(pk=self.object.pk).exists()
        return context


class TargetFormMixin:
    model = Target
    form_class = TargetForm
    template_name = "targets/target_form.html"
    service = staticmethod(target_save)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}


class TargetCreateView(TargetFormMixin, CreateView):
    def get_initial(self):
        asked = self.request.GET
        return {key: asked[key] for key in ("person", "team", "period") if asked.get(key)}

    def form_valid(self, form):
        try:
            self.service(actor=self.request.user, instance=form.instance)
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, error if isinstance(error, ValidationError) else str(error))
            return self.form_invalid(form)
        return redirect(form.instance.get_absolute_url())


class TargetUpdateView(TargetFormMixin, ScopedUpdateView):
    pass


def target_raise_view(request):
    """Raise a team's targets for a period by a percentage: preview first, then apply in one step."""
    form = TargetRaiseForm(request.POST or request.GET or None, user=request.user)
    preview = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        arguments = {
            "actor": request.user,
            "team": data["team"],
            "period": data["period"],
            "percent": data["percent"],
            "metric": data["metric"],
        }
        if request.method == "POST":
            try:
                changes = target_raise(**arguments)
            except (ValidationError, OutOfScope) as error:
                form.add_error(None, str(error))
            else:
                raised = f"Raised {len(changes)} targets of {data['team']} by {data['percent']} %."
                messages.success(request, raised)
                return redirect(f"{request.path}?team={data['team'].pk}&period={data['period'].label}")
        preview = target_raise_preview(**arguments)
    context = {"form": form, "preview": preview, **_totals(preview)}
    return render(request, "targets/target_raise.html", context)


def _totals(preview) -> dict:
    if not preview:
        return {}
    team = [change for change in preview if change.target.team_id and not change.target.stretch]
    sellers = [change for change in preview if change.target.person_id and not change.target.stretch]
    return {
        "team_before": sum((c.before for c in team), 0) if team else None,
        "team_after": sum((c.after for c in team), 0) if team else None,
        "sellers_before": sum((c.before for c in sellers), 0),
        "sellers_after": sum((c.after for c in sellers), 0),
        "gap": (sum((c.after for c in team), 0) - sum((c.after for c in sellers), 0)) if team else None,
    }


def kudos_give_view(request, pk: int):
    """A manager's kudos for one of their people (POST only); shown on the person's page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    receiver = get_object_or_404(Person.objects.filter(TARGET_PEOPLE.q(request.user, "change")), pk=pk)
    form = KudosForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a few words to go with the kudos.")
        return redirect(receiver.get_absolute_url())
    try:
        kudos_give(actor=request.user, receiver=receiver, message=form.cleaned_data["message"])
    except (ValidationError, OutOfScope) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, f"Kudos sent to {receiver}.")
    return redirect(receiver.get_absolute_url())
