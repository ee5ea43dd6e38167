"""Writes for stakeholder maps; views and API call these."""

from django.db import transaction

from firstline.core.scoping import scoped_save
from firstline.relationships.models import Contact, InternalPartner, Stakeholder


@transaction.atomic
def stakeholder_add(
    *, actor, account, opportunity=None, contact: Contact | None = None, new_contact=None, **fields
):
    """Put a contact on the map of an account (or one of its deals), creating the contact when
    `new_contact` (name, title) is given. All or nothing: a bad stakeholder keeps no new contact."""
    if contact is None:
        name, title = new_contact
        contact = scoped_save(actor=actor, instance=Contact(account=account, name=name, title=title))
    stakeholder = Stakeholder(account=account, opportunity=opportunity, contact=contact, **fields)
    return scoped_save(actor=actor, instance=stakeholder)


def stakeholder_save(*, actor, instance: Stakeholder) -> Stakeholder:
    return scoped_save(actor=actor, instance=instance)


def internal_partner_add(*, actor, account, opportunity=None, **fields) -> InternalPartner:
    return scoped_save(
        actor=actor, instance=InternalPartner(account=account, opportunity=opportunity, **fields)
    )
