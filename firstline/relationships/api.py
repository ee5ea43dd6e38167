import django_filters

from firstline.core.api import ScopedModelSerializer, ScopedRelatedField, ScopedViewSet
from firstline.core.filtersets import ScopedFilterSet
from firstline.org.models import Person
from firstline.pipeline.models import Account, Opportunity
from firstline.relationships.models import Contact, InternalPartner, Stakeholder


class ContactSerializer(ScopedModelSerializer):
    account = ScopedRelatedField(Account)

    class Meta:
        model = Contact
        fields = ["id", "account", "name", "title", "email", "phone"]


class StakeholderSerializer(ScopedModelSerializer):
    account = ScopedRelatedField(Account)
    opportunity = ScopedRelatedField(Opportunity, allow_null=True, required=False)
    contact = ScopedRelatedField(Contact)

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "account",
            "opportunity",
            "contact",
            "role",
            "influence",
            "stance",
            "strength",
            "last_contact",
            "note",
        ]


class InternalPartnerSerializer(ScopedModelSerializer):
    account = ScopedRelatedField(Account)
    opportunity = ScopedRelatedField(Opportunity, allow_null=True, required=False)
    person = ScopedRelatedField(Person)

    class Meta:
        model = InternalPartner
        fields = ["id", "account", "opportunity", "person", "part", "contribution"]


class ContactFilterSet(ScopedFilterSet):
    account = django_filters.ModelChoiceFilter(queryset=Account.objects.all())

    class Meta:
        model = Contact
        fields = ["account"]


class InternalPartnerFilterSet(ScopedFilterSet):
    account = django_filters.ModelChoiceFilter(queryset=Account.objects.all())
    opportunity = django_filters.ModelChoiceFilter(queryset=Opportunity.objects.all())

    class Meta:
        model = InternalPartner
        fields = ["account", "opportunity", "part"]


class StakeholderFilterSet(ScopedFilterSet):
    account = django_filters.ModelChoiceFilter(queryset=Account.objects.all())
    opportunity = django_filters.ModelChoiceFilter(queryset=Opportunity.objects.all())
    # "true"/"false" as plain choices: a BooleanFilter would also take "null" and ignore it.
    account_level = django_filters.ChoiceFilter(
        choices=[("true", "Account map"), ("false", "Deal maps")], method="filter_account_level"
    )

    def filter_account_level(self, queryset, name, value):
        return queryset.filter(opportunity__isnull=value == "true")

    class Meta:
        model = Stakeholder
        fields = ["account", "opportunity", "role", "account_level"]


class ContactViewSet(ScopedViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet


class StakeholderViewSet(ScopedViewSet):
    serializer_class = StakeholderSerializer
    filterset_class = StakeholderFilterSet
    select_related = ("contact",)


class InternalPartnerViewSet(ScopedViewSet):
    serializer_class = InternalPartnerSerializer
    filterset_class = InternalPartnerFilterSet
