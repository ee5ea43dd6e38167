"""Stakeholder maps per account and per deal, internal partners and relationship health."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from firstline.core.scoping import OutOfScope
from firstline.org.models import Person
from firstline.pipeline.models import Account, Opportunity
from firstline.relationships import health as maps
from firstline.relationships.models import (
    Contact,
    InternalPartner,
    PartnerRole,
    Stakeholder,
    StakeholderRole,
    Stance,
)
from firstline.relationships.services import internal_partner_add, stakeholder_add, stakeholder_save

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StakeholderForm(forms.Form):
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(), required=False, empty_label="A new contact", label="Contact"
    )
    new_name = forms.CharField(max_length=200, required=False, label="New contact's name")
    new_title = forms.CharField(max_length=200, required=False, label="New contact's title")
    role = forms.ChoiceField(choices=StakeholderRole.choices)
    influence = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        initial=3,
        help_text="1 (little say) to 5 (decides).",
    )
    stance = forms.TypedChoiceField(choices=Stance.choices, coerce=int, initial=0)
    strength = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        initial=2,
        label="Relationship strength",
        help_text="1 (never met) to 5 (trusted).",
    )
    last_contact = forms.DateField(required=False, widget=DATE)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account)

    def clean(self):
        data = super().clean()
        if not data.get("contact") and not data.get("new_name"):
            self.add_error("new_name", "Pick a contact or name a new one.")
        return data

    def stakeholder_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name] for name in ("role", "influence", "stance", "strength", "last_contact", "note")
        }


class PartnerForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Colleague")
    part = forms.ChoiceField(choices=PartnerRole.choices, label="Part")
    contribution = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


def _people(stakeholders) -> list[maps.Person]:
    return [
        maps.Person(
            name=s.contact.name,
            role=s.role,
            role_label=s.get_role_display(),
            influence=s.influence,
            stance=s.stance,
            strength=s.strength,
            last_contact=s.last_contact,
        )
        for s in stakeholders
    ]


def map_context(stakeholders, *, title: str, key: str) -> dict:
    people = _people(stakeholders)
    return {
        "stakeholders": stakeholders,
        "health": maps.health(people, timezone.localdate()),
        "map_svg": mark_safe(maps.map_svg(people, title=title, description_id=f"{key}-map-text"))
        if people
        else "",
        "map_key": f"{key}-map-text",
    }


def deal_relationships(request, opportunity) -> dict:
    """The deal page's share: its stakeholder map and internal partners."""
    stakeholders = list(
        Stakeholder.objects.visible_to(request.user).filter(opportunity=opportunity).select_related("contact")
    )
    partners = (
        InternalPartner.objects.visible_to(request.user)
        .filter(opportunity=opportunity)
        .select_related("person")
    )
    return {
        **map_context(stakeholders, title=f"Stakeholders of {opportunity.name}", key="deal"),
        "partners": partners,
    }


def account_map(request, pk):
    account = get_object_or_404(Account.objects.visible_to(request.user).select_related("owner"), pk=pk)
    stakeholders = list(
        Stakeholder.objects.visible_to(request.user)
        .filter(account=account, opportunity__isnull=True)
        .select_related("contact")
    )
    partners = (
        InternalPartner.objects.visible_to(request.user)
        .filter(account=account)
        .select_related("person", "opportunity")
    )
    context = {
        "account": account,
        "partners": partners,
        "contacts": Contact.objects.visible_to(request.user).filter(account=account)[:100],
        "editable": Account.objects.editable_by(request.user).filter(pk=pk).exists(),
        **map_context(stakeholders, title=f"Stakeholders at {account.name}", key="account"),
    }
    return render(request, "relationships/account_map.html", context)


def _add_stakeholder(request, *, account, opportunity, back):
    form = StakeholderForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stakeholder_add(
                actor=request.user,
                account=account,
                opportunity=opportunity,
                contact=data["contact"],
                new_contact=None if data["contact"] else (data["new_name"], data["new_title"]),
                **form.stakeholder_fields(),
            )
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, getattr(error, "messages", [str(error)]))
        else:
            messages.success(request, "Added to the stakeholder map.")
            return redirect(back)
    title = f"Add a stakeholder to {opportunity or account}"
    return render(
        request, "relationships/stakeholder_form.html", {"form": form, "title": title, "cancel_url": back}
    )


def account_stakeholder_add(request, pk):
    account = get_object_or_404(Account.objects.editable_by(request.user), pk=pk)
    return _add_stakeholder(
        request, account=account, opportunity=None, back=reverse("relationships:account_map", args=[pk])
    )


def deal_stakeholder_add(request, pk):
    opportunity = get_object_or_404(
        Opportunity.objects.editable_by(request.user).select_related("account"), pk=pk
    )
    return _add_stakeholder(
        request, account=opportunity.account, opportunity=opportunity, back=reverse("deals:deal", args=[pk])
    )


def stakeholder_update(request, pk):
    stakeholder = get_object_or_404(
        Stakeholder.objects.editable_by(request.user).select_related("contact"), pk=pk
    )
    initial = {
        name: getattr(stakeholder, name)
        for name in ("role", "influence", "stance", "strength", "last_contact", "note")
    }
    form = StakeholderForm(
        request.POST or None,
        account=stakeholder.account,
        initial={**initial, "contact": stakeholder.contact_id},
    )
    form.fields["contact"].disabled = True
    if request.method == "POST" and form.is_valid():
        for name, value in form.stakeholder_fields().items():
            setattr(stakeholder, name, value)
        try:
            stakeholder_save(actor=request.user, instance=stakeholder)
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, getattr(error, "messages", [str(error)]))
        else:
            messages.success(request, f"{stakeholder.contact.name} updated.")
            return redirect(stakeholder.get_absolute_url())
    return render(
        request,
        "relationships/stakeholder_form.html",
        {
            "form": form,
            "title": f"Edit {stakeholder.contact.name}",
            "cancel_url": stakeholder.get_absolute_url(),
        },
    )


def deal_partner_add(request, pk):
    opportunity = get_object_or_404(
        Opportunity.objects.editable_by(request.user).select_related("account"), pk=pk
    )
    # Colleagues the user may see: naming anyone else would reveal the directory to sellers.
    form = PartnerForm(request.POST or None, people=Person.objects.visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            internal_partner_add(
                actor=request.user, account=opportunity.account, opportunity=opportunity, **form.cleaned_data
            )
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, getattr(error, "messages", [str(error)]))
        else:
            messages.success(request, "Partner added.")
            return redirect("deals:deal", pk=pk)
    return render(
        request,
        "relationships/stakeholder_form.html",
        {
            "form": form,
            "title": f"Add a colleague to {opportunity.name}",
            "cancel_url": reverse("deals:deal", args=[pk]),
        },
    )
