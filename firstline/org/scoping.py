"""Who sees whom: the rules behind `visible_to(user)` for everything that belongs to people.

- admin (superuser or a person with the admin role): everything, and may change everything;
- everyone else with a person record: themselves and the people currently in the teams they
  manage, down the whole subtree (a seller manages no team, so sees only their own records);
- enablement: additionally the directory (people and teams) and the shared content;
- a user with no person record: nothing.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import F, Q
from django.db.models.lookups import In

from firstline.core.scoping import NOTHING, Action, Unindexed

UNINDEXED_IN_FROM = 40
# Bumped by org.signals whenever a membership is saved or deleted: cached member lists are then stale.
MEMBERSHIPS_CHANGED = [0]


@dataclass(frozen=True)
class Viewer:
    person_id: int | None
    name: str | None
    role: str | None
    is_admin: bool
    managed_paths: tuple[str, ...]
    _people: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_enablement(self) -> bool:
        return self.role == "enablement"

    @property
    def leads_root(self) -> bool:
        """Leads a team at the root of the org tree (the company): their subtree is everyone."""
        return any(path.count("/") == 2 for path in self.managed_paths)

    def subtree_q(self, team_path: str = "path") -> Q:
        if not self.managed_paths:
            return NOTHING
        return reduce(or_, (Q(**{f"{team_path}__startswith": path}) for path in self.managed_paths))

    def team_people_q(self, prefix: str) -> Q:
        """People currently in the subtree of the teams this viewer manages, as one `IN`; for the
        company's leader, everyone (a condition that is always true, never an empty Q(), which an OR
        would silently drop)."""
        if not self.managed_paths:
            return NOTHING
        if self.leads_root:
            return Q(**{f"{prefix}pk__isnull": False})
        ids = self.team_person_ids
        return Q(**{f"{prefix}pk__in": ids}) if ids else NOTHING

    @property
    def team_person_ids(self) -> tuple[int, ...]:
        """People currently in the subtree of the teams this viewer manages: one query, repeated
        only after a membership changed in this process (a request builds its viewer afresh).

        Scopes filter on this list as one `IN`: SQLite plans `owner IN (…)` with the owner and date
        indexes, where `owner = me OR owner IN (subquery)` made it read every row."""
        from firstline.org.models import Membership

        if not self.managed_paths:
            return ()
        version = MEMBERSHIPS_CHANGED[0]
        if version not in self._people:
            members = Membership.objects.current().filter(self.subtree_q("team__path"))
            self._people.clear()
            self._people[version] = tuple(sorted(set(members.values_list("person_id", flat=True))))
        return self._people[version]


def viewer(user) -> Viewer:
    """The viewer for `user`, computed once per user object (one small query)."""
    cached = getattr(user, "_firstline_viewer", None)
    if cached is not None:
        return cached
    from firstline.org.models import Person, Role, Team

    person = Person.objects.filter(user=user).only("id", "name", "role").first()
    paths = tuple(Team.objects.filter(manager=person).values_list("path", flat=True)) if person else ()
    result = Viewer(
        person_id=person.pk if person else None,
        name=person.name if person else None,
        role=person.role if person else None,
        is_admin=user.is_superuser or (person is not None and person.role == Role.ADMIN),
        managed_paths=paths,
    )
    user._firstline_viewer = result
    return result


@dataclass(frozen=True)
class PersonScope:
    """Records that belong to a person through `path` ("" for Person itself, "owner", "person")."""

    path: str
    owner_may_change: bool = True
    directory: bool = False  # enablement sees it (the people directory), read-only

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        if who.person_id is None:
            return NOTHING
        if action == "view" and self.directory and who.is_enablement:
            return Q()
        prefix = f"{self.path}__" if self.path else ""
        if action == "change" and self.directory:
            return NOTHING  # people, memberships: only admins change them
        own_too = action == "view" or self.owner_may_change
        if who.leads_root:
            # The company's leader sees everything: no filter at all, so no index is defeated.
            return Q() if own_too else ~Q(**{f"{prefix}pk": who.person_id})
        ids = set(who.team_person_ids) - {who.person_id}
        if own_too:
            ids.add(who.person_id)
        if not ids:
            return NOTHING
        if len(ids) > UNINDEXED_IN_FROM:
            # A large part of the company: reading a list in its own order (close date, name…) and
            # keeping the rows of these people beats fetching all their rows by person and sorting.
            # A unary plus keeps the database from choosing the per-person index.
            return Q(In(Unindexed(F(f"{prefix}pk")), sorted(ids)))
        return Q(**{f"{prefix}pk__in": sorted(ids)})


@dataclass(frozen=True)
class TeamScope:
    """Teams: the ones you belong to now and the subtrees you manage; admins change them."""

    def q(self, user, action: Action) -> Q:
        from firstline.org.models import Membership

        who = viewer(user)
        if who.is_admin:
            return Q()
        if action == "change" or who.person_id is None:
            return NOTHING
        if who.is_enablement:
            return Q()
        own_teams = Membership.objects.current().filter(person_id=who.person_id).values("team_id")
        return Q(pk__in=own_teams) | who.subtree_q()


@dataclass(frozen=True)
class SharedScope:
    """Shared content (products, the sales process): everyone signed in sees it, admins change it."""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if action == "view":
            return Q() if (who.person_id is not None or who.is_admin) else NOTHING
        return Q() if who.is_admin else NOTHING
