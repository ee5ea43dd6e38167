"""Nudges: tell a seller and their manager when a target's attainment crosses 50, 90 and 100 %, or
when it falls behind the period's pace. Each nudge is sent once (in the app and by e-mail through
Django's mail settings); running the check again is harmless.

Run after writes to a seller's deals (kpis.signals) and daily by `firstline nudges` (for pace).
"""

import logging
import smtplib
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from firstline.core.periods import Period
from firstline.kpis import metrics
from firstline.kpis.figures import kpi_set, seller_population, team_population
from firstline.kpis.models import Nudge, NudgeKind
from firstline.org.models import Membership
from firstline.targets.models import Metric, Target

logger = logging.getLogger(__name__)
THRESHOLDS = (50, 90, 100)
BEHIND_PACE = Decimal("0.8")  # below 80 % of an even pace, once a third of the period has gone


def _recipients(target: Target, day: date) -> list:
    """The seller (or the team's manager) and the manager one level up."""
    if target.person_id:
        membership = Membership.objects.active_on(day).filter(person_id=target.person_id)
        membership = membership.select_related("team__manager").first()
        managers = [membership.team.manager] if membership and membership.team.manager else []
        return [target.person, *managers]
    team = target.team
    above = team.parent.manager if team.parent_id and team.parent.manager_id else None
    return [person for person in (team.manager, above) if person is not None]


def _send(target: Target, kind: str, threshold: int, message: str, day: date) -> int:
    sent = 0
    for person in _recipients(target, day):
        try:
            with transaction.atomic():
                Nudge.objects.create(
                    recipient=person, target=target, kind=kind, threshold=threshold, message=message
                )
        except IntegrityError:
            continue  # already told
        sent += 1
        if person.email:
            _mail(person.email, message)
    return sent


def _mail(address: str, message: str) -> None:
    # The in-app nudge is the record; a mail server that is down must not undo the write behind it.
    try:
        send_mail(
            f"Firstline: {message}",
            f"{message}\n\nOpen Firstline to see the figures behind it.",
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
    except (OSError, smtplib.SMTPException):
        logger.warning("Could not e-mail a nudge to %s", address, exc_info=True)


def check_target(target: Target, day: date) -> int:
    period = Period(target.period, target.start, target.end)
    population = seller_population(target.person) if target.person_id else team_population(target.team)
    figures = kpi_set(population, period, funnel=False)
    attainment = metrics.percent_to_plan(figures.won_amount, target.amount)
    if attainment is None:
        return 0
    who = target.person or target.team
    sent = 0
    for threshold in THRESHOLDS:
        if attainment * 100 >= threshold:
            message = f"{who} has reached {threshold} % of the {target.period} target."
            sent += _send(target, NudgeKind.REACHED, threshold, message, day)
    elapsed = (min(day, period.end) - period.start).days + 1
    pace = metrics.pace(figures.won_amount, target.amount, elapsed, period.days)
    if pace is not None and elapsed * 3 >= period.days and pace < BEHIND_PACE and attainment < 1:
        message = f"{who} is behind the pace for {target.period}: {attainment * 100:.0f} % closed."
        sent += _send(target, NudgeKind.BEHIND, 0, message, day)
    return sent


def nudges_check(*, person_ids=None, day: date | None = None) -> int:
    """Check the plan revenue targets running on `day` (of these sellers and their teams, or all)."""
    day = day or timezone.localdate()
    targets = Target.objects.plan().filter(metric=Metric.REVENUE, start__lte=day, end__gte=day)
    if person_ids is not None:
        teams = Membership.objects.active_on(day).filter(person_id__in=person_ids).values("team_id")
        targets = targets.filter(Q(person_id__in=person_ids) | Q(team_id__in=teams))
    targets = targets.select_related("person", "team__manager", "team__parent__manager")
    return sum(check_target(target, day) for target in targets)
