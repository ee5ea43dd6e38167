"""People from a flat file, and the org tree it implies: "seller, manager, office" makes the seller a
member of the manager's first-line team, the manager its leader, and the office a region above it."""

from collections import Counter

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from firstline.io.engine import Cells, Index
from firstline.io.importers import Importer, existing_by, jsonable
from firstline.org.models import Membership, Person, Role, Team, TeamKind
from firstline.org.services import membership_move


def _role(value: str | None) -> str | None:
    if not value:
        return None
    wanted = value.strip().lower()
    for choice, label in Role.choices:
        if wanted in {choice, label.lower()}:
            return choice
    words = {
        "rep": Role.SELLER,
        "account executive": Role.SELLER,
        "ae": Role.SELLER,
        "sales manager": Role.MANAGER,
        "vp": Role.EXECUTIVE,
        "director": Role.EXECUTIVE,
    }
    return words.get(wanted)


class PersonImporter(Importer):
    model = Person
    key_label = "person"

    def check_allowed(self) -> None:
        self.admin_only("people and the org tree")

    def plan(self, cells: Cells):
        v, lines = cells.values, cells.lines
        get = lambda name, i: v[name][i] if name in v else None  # noqa: E731
        rows = []
        for i in self.live(cells):
            line, email = lines[i], (get("email", i) or "").strip().lower()
            try:
                validate_email(email)
            except ValidationError:
                self.report.reject(line, "email", email, "is not an email address")
                continue
            if not get("name", i):
                self.report.reject(line, "name", "", "is empty")
                continue
            role = _role(get("role", i))
            if get("role", i) and role is None:
                self.report.reject(line, "role", get("role", i), "is not a role we know")
                continue
            values = {"name": get("name", i)[:200], "email": email, "title": (get("title", i) or "")[:200]}
            if role:
                values["role"] = role
            if get("hired_on", i):
                values["hired_on"] = get("hired_on", i)
            if get("external_id", i):
                values["external_id"] = get("external_id", i)
            rows.append((line, email, values, get("manager", i), get("office", i)))
        fields = ["name", "email", "title", "role", "hired_on", "external_id"]
        # Emails are unique whatever their case: match them lower-cased, as the file's are.
        by_email = Person.objects.annotate(email_key=Lower("email"))
        existing = existing_by(Person, "email_key", [r[1] for r in rows], fields, base=by_email)
        by_external = existing_by(Person, "external_id", [r[2].get("external_id") for r in rows], fields)
        for _line, email, values, _m, _o in rows:
            match = by_external.get(values.get("external_id"))
            if match and email not in existing:
                existing[email] = match
        people = Index(Person.objects.values_list("pk", "name", "email", "external_id"), "person")
        for line, email, values, _m, _o in rows:
            if email not in existing:
                people.add(-line, values["name"], email, values.get("external_id"))
        managers = {}
        for line, email, _values, manager, _office in rows:
            if manager:
                pk = people.find(manager, self.context)
                if pk is None:
                    self.report.reject(line, "manager", manager, "is nobody in the file or in Firstline")
                managers[email] = pk
        creates, updates = self.classify(
            [(line, email, values) for line, email, values, _m, _o in rows], existing
        )
        # A person's role and title stay as they are unless the file names them.
        self.count(creates, updates)
        return creates, updates, rows, managers

    def write(self, plan) -> None:
        creates, updates, rows, managers = plan
        self.write_plain(creates, updates, make=lambda values: Person(**values))
        ids = dict(
            Person.objects.annotate(email_key=Lower("email"))
            .filter(email_key__in=[r[1] for r in rows])
            .values_list("email_key", "pk")
        )
        line_ids = {-line: ids[email] for line, email, *_rest in rows}
        self._build_tree(rows, {email: line_ids.get(pk, pk) for email, pk in managers.items() if pk}, ids)

    def _build_tree(self, rows, managers: dict[str, int], ids: dict[str, int]) -> None:
        offices = {email: office for _l, email, _v, _m, office in rows if office}
        reports: dict[int, list[str]] = {}
        for email, manager_id in managers.items():
            reports.setdefault(manager_id, []).append(email)
        root = Team.objects.filter(parent__isnull=True).order_by("pk").first()
        today = self.today()
        placed = []
        for manager_id, emails in reports.items():
            team = Team.objects.filter(manager_id=manager_id, kind=TeamKind.TEAM).first()
            office_name = Counter(offices[e] for e in emails if e in offices).most_common(1)
            office = self._office(office_name[0][0], root) if office_name else None
            if team is None:
                manager = Person.objects.get(pk=manager_id)
                team = Team(
                    name=f"{manager.name.split()[0]}'s team",
                    kind=TeamKind.TEAM,
                    manager=manager,
                    parent=office or root,
                )
                team.full_clean()
                team.save()
                self.context.created(Team, [team.pk])
            elif office is not None and team.parent_id != office.pk:
                self.context.updated(Team, team.pk, {"parent_id": team.parent_id})
                team.parent = office
                team.save()
            for email in emails:
                self._move(ids[email], team, today)
            if office is not None:
                placed.append((manager_id, office))
                self._move(manager_id, office, today)
                Person.objects.filter(pk=manager_id, role=Role.SELLER).update(role=Role.MANAGER)
        self._office_leaders(placed, managers, ids)

    def _office(self, name: str, root) -> Team:
        office = Team.objects.filter(name=name, kind=TeamKind.REGION).first()
        if office is None:
            office = Team(name=name[:200], kind=TeamKind.REGION, parent=root)
            office.save()
            self.context.created(Team, [office.pk])
        return office

    def _office_leaders(self, placed, managers: dict[str, int], ids: dict[str, int]) -> None:
        """An office is led by whoever most of its team managers report to, when the file says."""
        email_of = {pk: email for email, pk in ids.items()}
        bosses: dict[int, Counter] = {}
        for manager_id, office in placed:
            boss = managers.get(email_of.get(manager_id, ""))
            if boss:
                bosses.setdefault(office.pk, Counter())[boss] += 1
        for office_pk, counter in bosses.items():
            if Team.objects.filter(pk=office_pk, manager__isnull=True).update(
                manager_id=counter.most_common(1)[0][0]
            ):
                self.context.updated(Team, office_pk, {"manager_id": None})

    def _move(self, person_id: int, team: Team, today) -> None:
        current = Membership.objects.filter(person_id=person_id, end__isnull=True).first()
        if current is not None and current.team_id == team.pk:
            return
        if current is not None and current.start >= today:
            # membership_move deletes a membership that would end before it began: undo recreates it.
            self.context.deleted(current)
        elif current is not None:
            self.context.updated(Membership, current.pk, {"end": jsonable(current.end)})
        membership = membership_move(person=Person(pk=person_id), team=team, on=today)
        self.context.created(Membership, [membership.pk])

    @staticmethod
    def today():
        from django.utils import timezone

        return timezone.localdate()
