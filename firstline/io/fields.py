"""What each kind of import can fill, and the words CRMs use for it.

A column is matched to a field when its normalised header (see values.normalise) equals the field's
name, one of its aliases, or a preset's header for it.
"""

from dataclasses import dataclass

KINDS = ("people", "accounts", "products", "opportunities", "targets")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text, date, amount, integer, stage, person, account, product, history
    required: bool = False
    aliases: tuple[str, ...] = ()


_EXTERNAL = ("id", "record id", "crm id", "external id", "external key")
_OWNER = (
    "owner",
    "opportunity owner",
    "account owner",
    "deal owner",
    "rep",
    "sales rep",
    "agent",
    "sales person",
    "salesperson",
    "seller",
    "assigned to",
    "user",
    "owner name",
    "owner email",
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "people": (
        Field("external_id", "text", aliases=("user id", "employee id", *_EXTERNAL)),
        Field(
            "name",
            "text",
            True,
            (
                "full name",
                "person",
                "seller",
                "rep",
                "sales rep",
                "employee",
                "sales person",
                "salesperson",
                "agent",
                "user",
            ),
        ),
        Field("email", "text", True, ("email address", "e mail", "mail", "work email")),
        Field("title", "text", aliases=("job title", "position")),
        Field("role", "text", aliases=("profile", "type")),
        Field(
            "manager",
            "person",
            aliases=(
                "manager name",
                "reports to",
                "line manager",
                "supervisor",
                "team lead",
                "manager email",
            ),
        ),
        Field(
            "office",
            "text",
            aliases=(
                "region",
                "team",
                "location",
                "branch",
                "territory",
                "area",
                "sales region",
                "sales office",
            ),
        ),
        Field("hired_on", "date", aliases=("hire date", "hired", "start date", "joined")),
    ),
    "accounts": (
        Field("external_id", "text", aliases=("account id", *_EXTERNAL)),
        Field(
            "name",
            "text",
            True,
            (
                "account",
                "account name",
                "company",
                "company name",
                "organization",
                "organisation",
                "organization name",
                "customer",
            ),
        ),
        Field("owner", "person", aliases=_OWNER),
        Field("industry", "text", aliases=("sector", "vertical")),
        Field("segment", "text", aliases=("size", "tier", "account segment")),
        Field("city", "text", aliases=("billing city", "town")),
        Field("country", "text", aliases=("billing country", "country code")),
        Field(
            "market_potential",
            "amount",
            aliases=("potential", "annual revenue", "revenue", "market potential", "wallet"),
        ),
    ),
    "products": (
        Field("code", "text", True, ("product code", "sku", "product id", "item code")),
        Field("name", "text", True, ("product", "product name", "item")),
        Field("family", "text", aliases=("product family", "category", "line")),
    ),
    "opportunities": (
        Field("external_id", "text", aliases=("opportunity id", "deal id", *_EXTERNAL)),
        Field("name", "text", aliases=("opportunity", "opportunity name", "deal", "deal name", "title")),
        Field("owner", "person", True, _OWNER),
        Field(
            "account",
            "account",
            aliases=(
                "account name",
                "company",
                "company name",
                "organization",
                "organization name",
                "customer",
                "client",
            ),
        ),
        Field("product", "product", aliases=("product name", "product code", "item")),
        Field(
            "amount",
            "amount",
            aliases=(
                "value",
                "deal value",
                "close value",
                "amount usd",
                "deal amount",
                "opportunity amount",
                "revenue",
                "total",
                "price",
            ),
        ),
        Field("currency", "text", aliases=("currency code", "opportunity currency", "deal currency")),
        Field("stage", "stage", True, ("status", "deal stage", "sales stage", "pipeline stage", "phase")),
        Field(
            "created",
            "date",
            True,
            (
                "created date",
                "create date",
                "created on",
                "date created",
                "deal created",
                "opened on",
                "opened",
                "open date",
            ),
        ),
        Field(
            "engaged_on",
            "date",
            aliases=("engaged", "engaged date", "engage date", "first meeting", "first contact"),
        ),
        Field(
            "close_date",
            "date",
            aliases=("close", "expected close date", "expected close", "closing date", "close date expected"),
        ),
        Field(
            "closed_on",
            "date",
            aliases=(
                "closed",
                "won time",
                "lost time",
                "actual close date",
                "closed date",
                "won date",
                "lost date",
            ),
        ),
        Field("loss_reason", "text", aliases=("lost reason", "closed lost reason", "reason lost")),
        Field("competitor", "text", aliases=("competitors", "main competitor")),
        Field("next_step", "text", aliases=("next steps", "next activity")),
        Field("stage_history", "history", aliases=("history", "stage changes")),
    ),
    "targets": (
        Field("person", "person", True, ("seller", *_OWNER, "name", "email")),
        Field("period", "text", True, ("quarter", "fiscal period", "month", "year")),
        Field("amount", "amount", True, ("target", "quota", "goal", "value", "target amount")),
        Field("metric", "text", aliases=("kpi", "measure", "type")),
        Field("currency", "text", aliases=("currency code",)),
    ),
}

# Headers the big CRMs write in their standard exports, per kind and field.
PRESETS: dict[str, dict[str, dict[str, str]]] = {
    "salesforce": {
        "opportunities": {
            "external_id": "Opportunity ID",
            "name": "Opportunity Name",
            "owner": "Opportunity Owner",
            "account": "Account Name",
            "amount": "Amount",
            "currency": "Opportunity Currency",
            "stage": "Stage",
            "created": "Created Date",
            "close_date": "Close Date",
            "product": "Product Name",
            "next_step": "Next Step",
            "loss_reason": "Closed Lost Reason",
        },
        "accounts": {
            "external_id": "Account ID",
            "name": "Account Name",
            "owner": "Account Owner",
            "industry": "Industry",
            "city": "Billing City",
            "country": "Billing Country",
            "market_potential": "Annual Revenue",
        },
        "people": {
            "external_id": "User ID",
            "name": "Full Name",
            "email": "Email",
            "title": "Title",
            "manager": "Manager",
            "office": "Division",
            "hired_on": "Created Date",
        },
        "products": {"code": "Product Code", "name": "Product Name", "family": "Product Family"},
        "targets": {"person": "Owner", "period": "Period", "amount": "Quota Amount"},
    },
    "hubspot": {
        "opportunities": {
            "external_id": "Record ID",
            "name": "Deal Name",
            "owner": "Deal owner",
            "account": "Associated Company",
            "amount": "Amount",
            "currency": "Currency",
            "stage": "Deal Stage",
            "created": "Create Date",
            "close_date": "Close Date",
        },
        "accounts": {
            "external_id": "Record ID",
            "name": "Company name",
            "owner": "Company owner",
            "industry": "Industry",
            "city": "City",
            "country": "Country/Region",
            "market_potential": "Annual Revenue",
        },
        "people": {
            "external_id": "User ID",
            "name": "Name",
            "email": "Email",
            "manager": "Manager",
            "office": "Team",
        },
        "products": {"code": "SKU", "name": "Name", "family": "Product Type"},
        "targets": {"person": "Assigned to", "period": "Period", "amount": "Goal"},
    },
    "pipedrive": {
        "opportunities": {
            "external_id": "Deal - ID",
            "name": "Deal - Title",
            "owner": "Deal - Owner",
            "account": "Deal - Organization",
            "amount": "Deal - Value",
            "currency": "Deal - Currency",
            "stage": "Deal - Stage",
            "created": "Deal - Deal created",
            "close_date": "Deal - Expected close date",
            "closed_on": "Deal - Won time",
            "loss_reason": "Deal - Lost reason",
            "product": "Deal - Product name",
        },
        "accounts": {
            "external_id": "Organization - ID",
            "name": "Organization - Name",
            "owner": "Organization - Owner",
            "city": "Organization - City",
        },
        "people": {"external_id": "User - ID", "name": "User - Name", "email": "User - Email"},
        "products": {
            "code": "Product - Product code",
            "name": "Product - Name",
            "family": "Product - Category",
        },
        "targets": {"person": "Goal - Assignee", "period": "Goal - Period", "amount": "Goal - Target"},
    },
}


def fields_of(kind: str) -> dict[str, Field]:
    return {field.name: field for field in FIELDS[kind]}
