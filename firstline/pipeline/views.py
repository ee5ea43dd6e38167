from auditlog.models import LogEntry

from firstline.core.audit import history
from firstline.core.views import ScopedDetailView, ScopedListView, ScopedUpdateView
from firstline.pipeline.filtersets import AccountFilterSet, OpportunityFilterSet
from firstline.pipeline.forms import AccountForm, OpportunityForm
from firstline.pipeline.models import Account, Opportunity, Outcome
from firstline.pipeline.services import opportunity_save


class AccountListView(ScopedListView):
    model = Account
    filterset_class = AccountFilterSet
    select_related = ("owner",)
    template_name = "pipeline/account_list.html"
    partial_template_name = "pipeline/_account_table.html"


class AccountDetailView(ScopedDetailView):
    model = Account
    select_related = ("owner",)
    template_name = "pipeline/account_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["opportunities"] = (
            Opportunity.objects.visible_to(self.request.user)
            .filter(account=self.object)
            .select_related("stage", "owner")
            .order_by("-close_date")[:25]
        )
        return context


class AccountUpdateView(ScopedUpdateView):
    model = Account
    form_class = AccountForm
    template_name = "pipeline/account_form.html"


class OpportunityListView(ScopedListView):
    model = Opportunity
    filterset_class = OpportunityFilterSet
    select_related = ("account", "owner", "stage", "scorecard__framework")  # joined to the page's rows only
    template_name = "pipeline/opportunity_list.html"
    partial_template_name = "pipeline/_opportunity_table.html"

    def default_filters(self):
        # What a seller works on: open deals, soonest close first (the model's order). "All" is one
        # choice away in the Status filter.
        return {"outcome": Outcome.OPEN}

    def get_queryset(self):
        return super().get_queryset().prefetch_related("risk_signals")  # the risk badges, one query


class OpportunityDetailView(ScopedDetailView):
    model = Opportunity
    select_related = ("account", "owner", "stage", "product")
    template_name = "pipeline/opportunity_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["stage_changes"] = self.object.stage_changes.select_related("stage", "changed_by")
        entries = LogEntry.objects.get_for_object(self.object).select_related("actor__person")[:20]
        context["history"] = history(entries, Opportunity)
        return context


class OpportunityUpdateView(ScopedUpdateView):
    model = Opportunity
    form_class = OpportunityForm
    service = staticmethod(opportunity_save)
    template_name = "pipeline/opportunity_form.html"
