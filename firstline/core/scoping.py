"""The one scoping mechanism: every domain queryset is narrowed through `visible_to(user)` or
`editable_by(user)`, and pages, API, exports and CLI all go through it.

A model opts in with `objects = ScopedQuerySet.as_manager()` and a class attribute `scope`, an
object with a method `q(user, action) -> Q` (the rules for people and teams live in org.scoping).
Objects outside scope are treated as missing: 404, never 403.
"""

from contextlib import suppress
from decimal import Decimal, InvalidOperation
from typing import Literal, Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Func, IntegerField, Q, UniqueConstraint
from django.db.models.lookups import Exact
from django.http import Http404

Action = Literal["view", "change"]
NOTHING = Q(pk__in=[])


class Unindexed(Func):
    """`+column`: the same value, but not something an index on the column can serve (SQLite's
    documented way to steer its planner). Used where reading a list in its own order and keeping the
    matching rows beats fetching the matches and sorting them all. PostgreSQL gets the plain column:
    its planner weighs both plans itself, and `+column` would only blind its row estimates."""

    template = "+%(expressions)s"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])


class Scope(Protocol):
    def q(self, user, action: Action) -> Q: ...


class ScopedQuerySet(models.QuerySet):
    def _scoped(self, user, action: Action):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(self.model.scope.q(user, action))

    def visible_to(self, user):
        return self._scoped(user, "view")

    def editable_by(self, user):
        return self._scoped(user, "change")

    def with_related(self, fields: tuple[str, ...]):
        """select_related() for a possibly empty tuple of fields (empty means none, not all)."""
        return self.select_related(*fields) if fields else self


def get_visible_or_404(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from None


class OutOfScope(Exception):
    """Raised when a write would leave the object outside what the actor may change."""


def save_in_scope(actor, instance, save) -> None:
    """Run `save()` and keep the result only if the saved object is one `actor` may change.

    The check reuses the scope's query, so there is no second copy of the rules to drift: a seller
    who hands a deal to another seller, or a manager who creates one outside their team, is refused
    and nothing is written.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                save()
        except IntegrityError:
            # The model's own checks passed, so another write took the same unique value meanwhile.
            raise ValidationError(
                f"Another change saved a {instance._meta.verbose_name} with these values at the same time;"
                " nothing was written. Reload and try again."
            ) from None
        if not type(instance).objects.editable_by(actor).filter(pk=instance.pk).exists():
            raise OutOfScope(f"You may not save this {instance._meta.verbose_name} with these values.")


def _clashing_rows(instance):
    """For each uniqueness rule of the model, the other rows `instance` would clash with."""
    model = type(instance)
    others = model._default_manager.exclude(pk=instance.pk) if instance.pk else model._default_manager.all()
    unique_checks, _date_checks = instance._get_unique_checks(include_meta_constraints=True)
    for _model_class, field_names in unique_checks:
        values = {name: getattr(instance, model._meta.get_field(name).attname) for name in field_names}
        if all(value is not None for value in values.values()):
            yield others.filter(**values)
    # Expression constraints (e.g. Lower("email")) are matched the way Django's own validation does:
    # each expression compared with itself evaluated on the instance's values.
    replacements = {
        F(name): value for name, value in instance._get_field_expression_map(meta=model._meta).items()
    }
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.expressions:
            yield others.filter(
                *(
                    Exact(expression, expression.replace_expressions(replacements))
                    for expression in constraint.expressions
                )
            )


def quantize_decimals(instance) -> None:
    """Give every decimal the places its column stores (95000 → 95000.00), so that saving an unchanged
    amount is not recorded as a change from "95000.00" to "95000"."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
            # Too many digits for the column stay as they are: full_clean() says so.
            with suppress(InvalidOperation):
                setattr(instance, field.attname, value.quantize(Decimal(1).scaleb(-field.decimal_places)))


def full_clean_in_scope(actor, instance) -> None:
    """full_clean(), except that a clash with a row the actor cannot see is a refused write.

    A uniqueness error names what exists ("an opportunity with this external id already exists"), so
    answering it for rows outside the actor's scope would let anyone probe for emails, CRM ids or
    targets they may not see. Such a clash fails exactly like any other write out of scope.
    """
    quantize_decimals(instance)
    for clash in _clashing_rows(instance):
        if clash.exists() and not clash.visible_to(actor).exists():
            raise OutOfScope(f"You may not save this {instance._meta.verbose_name} with these values.")
    instance.full_clean()


def scoped_save(*, actor, instance):
    """The plain write: validate the model, save it, keep it only if it is in the actor's scope."""
    full_clean_in_scope(actor, instance)
    save_in_scope(actor, instance, instance.save)
    return instance
