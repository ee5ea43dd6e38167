"""Writes to the org tree that touch more than one row."""

from datetime import date, timedelta

from django.db import transaction

from firstline.org.models import Membership, Person, Team


@transaction.atomic
def membership_move(*, person: Person, team: Team, on: date) -> Membership:
    """Move `person` into `team` from `on`: the current membership ends the day before."""
    current = Membership.objects.select_for_update().filter(person=person, end__isnull=True).first()
    if current is not None:
        if current.team_id == team.pk:
            return current
        if current.start >= on:
            current.delete()
        else:
            current.end = on - timedelta(days=1)
            current.full_clean()
            current.save(update_fields=["end"])
    membership = Membership(person=person, team=team, start=on)
    membership.full_clean()
    membership.save()
    return membership
