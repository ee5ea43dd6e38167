"""One more shape of the same scoping rules: a record visible through any of several owners."""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q

from firstline.core.scoping import Action, Scope


@dataclass(frozen=True)
class AnyOfScope:
    """In scope when any of `scopes` says so: a deal's stakeholder is the account owner's and the
    deal owner's (with their managers), who are usually the same person but need not be."""

    scopes: tuple[Scope, ...]

    def __init__(self, *scopes: Scope) -> None:
        object.__setattr__(self, "scopes", scopes)

    def q(self, user, action: Action) -> Q:
        return reduce(or_, (scope.q(user, action) for scope in self.scopes))
