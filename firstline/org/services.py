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


def person_create(*, name: str, email: str, role: str, title: str, hired_on: date) -> Person:
    """A new person in the organisation, e.g. a hire; their team comes from `membership_move`."""
    person = Person(name=name, email=email, role=role, title=title, hired_on=hired_on)
    person.full_clean()
    person.save()
    return person
