from decimal import Decimal

from django import forms
from django.db.models import Q

from firstline.core.widgets import LongSelect
from firstline.org.models import Person, Team
from firstline.org.scoping import viewer
from firstline.pipeline.models import Account
from firstline.territories.design import MEASURES
from firstline.territories.models import TerritoryPlan


def managed_teams(user):
    """Teams the user may redesign: the subtrees they manage (everything for an admin)."""
    who = viewer(user)
    if who.is_admin:
        return Team.objects.all()
    return Team.objects.filter(who.subtree_q()) if who.managed_paths else Team.objects.none()


class ScenarioForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    balance = forms.MultipleChoiceField(
        choices=[(m, m.capitalize()) for m in MEASURES],
        initial=list(MEASURES),
        widget=forms.CheckboxSelectMultiple,
    )
    tolerance = forms.DecimalField(
        min_value=Decimal("0.005"),
        max_value=Decimal("0.5"),
        initial=Decimal("0.02"),
        decimal_places=3,
        help_text="Allowed deviation from each seller's fair share, as a fraction (0.02 = ±2 %).",
    )
    max_moves = forms.IntegerField(
        min_value=0,
        required=False,
        label="Most accounts to move",
        help_text="Empty: as many as balance needs.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = managed_teams(user).filter(territories__isnull=False).distinct()


class PlanForm(forms.ModelForm):
    class Meta:
        model = TerritoryPlan
        fields = [
            "period",
            "objective_amount",
            "objectives",
            "market",
            "resources_time",
            "resources_budget",
            "resources_partners",
            "resources_smes",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("objectives", "market", "resources_time", "resources_partners", "resources_smes")
        }


class KeyAccountForm(forms.Form):
    """Name a key account: one of the seller's accounts (their territory's or their own)."""

    account = forms.ModelChoiceField(queryset=Account.objects.none(), widget=LongSelect)
    strategy = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How this account is won or grown this period; naming it again replaces its strategy.",
    )

    def __init__(self, *args, plan, user, **kwargs):
        super().__init__(*args, prefix="key", **kwargs)
        in_territory = Q(
            territory_assignments__territory__owner=plan.seller, territory_assignments__end__isnull=True
        )
        accounts = Account.objects.visible_to(user).filter(in_territory | Q(owner=plan.seller))
        self.fields["account"].queryset = accounts.distinct().order_by("name")


class ActionForm(forms.Form):
    description = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), widget=LongSelect)
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, plan, user, **kwargs):
        super().__init__(*args, prefix="action", **kwargs)
        self.fields["owner"].queryset = Person.objects.visible_to(user).order_by("name")
        self.fields["owner"].initial = plan.seller_id


class ReviewForm(forms.Form):
    what_changed = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What changed")
    adjustment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Adjustment decided")


class QuotaForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    period = forms.CharField(max_length=10, help_text="2026, 2026Q3 or 2026-07")
    team_target = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
    weight_history = forms.DecimalField(min_value=0, max_value=1, initial=Decimal("0.5"), decimal_places=2)
    weight_potential = forms.DecimalField(min_value=0, max_value=1, initial=Decimal("0.3"), decimal_places=2)
    weight_pipeline = forms.DecimalField(min_value=0, max_value=1, initial=Decimal("0.2"), decimal_places=2)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = managed_teams(user).filter(territories__isnull=False).distinct()

    def clean(self):
        data = super().clean()
        weights = [data.get(f"weight_{n}") or 0 for n in ("history", "potential", "pipeline")]
        if not self.errors and sum(weights) <= 0:
            raise forms.ValidationError("Give at least one weight above zero.")
        return data


class AdjustForm(forms.Form):
    adjustment = forms.DecimalField(max_digits=14, decimal_places=2)


class PlanCreateForm(forms.ModelForm):
    class Meta:
        model = TerritoryPlan
        fields = ["seller", "period", "objective_amount"]

    def __init__(self, *args, sellers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = sellers
        self.fields["objective_amount"].required = False
        self.fields["objective_amount"].help_text = "Leave empty to start from the seller's revenue targets."

    def clean_objective_amount(self):
        return self.cleaned_data.get("objective_amount") or 0

    def validate_unique(self):
        pass  # checked by the scoped write (plan_save), so a clash never tells what exists
