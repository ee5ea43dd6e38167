"""Dashboards: the manager's team (and, for second-line and executives, the teams under them side by
side with drill-down), and the figures on a seller's own page. Every figure comes from kpis.figures."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from firstline.core import formatting
from firstline.core.charts import chart
from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.core.views import sortable_headers
from firstline.kpis import metrics
from firstline.kpis.figures import kpi_set, seller_population, team_population, year_before
from firstline.kpis.selectors import (
    previous_period,
    quarter_trend,
    seller_count,
    seller_rows,
    team_rows,
)
from firstline.org.models import Team
from firstline.org.scoping import viewer


def home(request):
    """Send each person to the page that answers "how are we doing?" for them."""
    who = viewer(request.user)
    if who.managed_paths or who.is_admin:
        return redirect("kpis:my_team")
    if who.person_id is not None:
        return redirect("org:person_detail", pk=who.person_id)
    return redirect("org:person_list")


def requested_period(request):
    """The period named in ?period=, else the current fiscal quarter; a bad label is reported."""
    calendar = fiscal_calendar()
    label = request.GET.get("period", "").strip()
    if label:
        try:
            return calendar.parse(label)
        except PeriodError as error:
            messages.error(request, str(error))
    return calendar.quarter_of(timezone.localdate())


SELLER_COLUMNS = [
    ("seller", "Seller", False),
    ("won", "Closed won", True),
    ("target", "Target", True),
    ("to_plan", "To plan", True),
    ("", "Attainment", False),
    ("close_ratio", "Close ratio (count)", True),
    ("pipeline", "Open pipeline", True),
    ("coverage", "Coverage", True),
]


def _ratio_key(value):
    # "no data" sorts below every real figure, whichever way the column is sorted.
    return (value is not None, value or 0)


SORT_KEYS = {
    "seller": lambda row: row.key.name,
    "team": lambda row: row.key.name,
    "won": lambda row: row.won_amount,
    "target": lambda row: row.target,
    "to_plan": lambda row: _ratio_key(row.percent_to_plan),
    "close_ratio": lambda row: _ratio_key(row.close_ratio_count),
    "pipeline": lambda row: row.open_amount,
    "coverage": lambda row: _ratio_key(row.coverage),
}
TEAM_COLUMNS = [("team", "Team", False), *SELLER_COLUMNS[1:]]
# A region or the company has hundreds of sellers: the table shows the first ones in the chosen
# order (the leaderboard still ranks everyone), and each team's own dashboard lists all of its own.
SELLER_TABLE_ROWS = 50
# Above this many sellers (a VP's whole company) the page compares teams instead: a ranking of two
# thousand people motivates nobody, and each team's dashboard has its own table and leaderboard.
SELLER_DETAIL_UP_TO = 400


def _dashboard_team(request, who) -> Team:
    """?team= (any team in the viewer's subtree, for drill-down), else the team they lead."""
    teams = Team.objects.visible_to(request.user)
    if not who.is_admin:
        teams = teams.filter(who.subtree_q())
    wanted = request.GET.get("team", "")
    if wanted:
        team = teams.filter(pk=wanted).first() if wanted.isdigit() else None
        if team is None:
            raise Http404("No such team in your part of the organisation.")
        return team
    led = teams.filter(manager_id=who.person_id).order_by("path").first() if who.person_id else None
    team = led or Team.objects.filter(parent=None).order_by("path").first()
    if team is None:
        raise Http404("There is no team yet.")
    return team


def leaderboard(rows, size: int = 5):
    """Celebrate the top of the table and the biggest steps up; never list the bottom."""
    with_plan = [row for row in rows if row.percent_to_plan is not None and row.won_amount > 0]
    top = sorted(with_plan, key=lambda row: row.percent_to_plan, reverse=True)[:size]
    improving = [row for row in rows if row.step_up is not None and row.step_up > 0]
    climbers = sorted(improving, key=lambda row: row.step_up, reverse=True)[:3]
    return {"top": top, "climbers": climbers}


def my_team(request):
    """A manager's dashboard: team KPIs against target, trend, sellers, funnel, leaderboard, and the
    teams below for second-line managers and executives."""
    who = viewer(request.user)
    if not who.managed_paths and not who.is_admin:
        raise Http404("You do not lead a team.")
    period = requested_period(request)
    team = _dashboard_team(request, who)
    population = team_population(team)
    figures = kpi_set(population, period)
    previous = kpi_set(population, previous_period(period), funnel=False)
    sellers_in_team = seller_count(population)
    rows = seller_rows(population, period) if sellers_in_team <= SELLER_DETAIL_UP_TO else []
    sort, descending, headers = sortable_headers(request, SELLER_COLUMNS, default="-to_plan")
    rows.sort(key=SORT_KEYS[sort], reverse=descending)
    teams = team_rows(team, period)
    team_sort, team_descending, team_headers = sortable_headers(request, TEAM_COLUMNS, default="team")
    teams.sort(key=SORT_KEYS[team_sort], reverse=team_descending)
    trend = quarter_trend(population, period)
    return render(
        request,
        "kpis/my_team.html",
        {
            "team": team,
            "ancestors": _ancestors(team, who),
            "period": period,
            "previous": previous,
            "year_before": year_before(period, timezone.localdate()),
            "elapsed": _elapsed_share(period),
            "figures": figures,
            "deltas": _deltas(figures, previous),
            "rows": rows[:SELLER_TABLE_ROWS],
            "seller_count": len(rows) or sellers_in_team,
            "sellers_shown": bool(rows),
            "headers": headers,
            "teams": teams,
            "team_headers": team_headers,
            "trend": trend,
            "trend_chart": _trend_chart(trend),
            "funnel_chart": _funnel_chart(figures),
            "leaderboard": leaderboard(rows),
            "deals_in_period": _deals_closing_in(period),
        },
    )


def _deals_closing_in(period) -> str:
    """The opportunity list of deals closing in the period; rows add their owner or team."""
    span = urlencode({"close_after": period.start.isoformat(), "close_before": period.end.isoformat()})
    return f"{reverse('pipeline:opportunity_list')}?{span}"


def _elapsed_share(period):
    """Share of a running period gone by today; None for a period that is over or not begun."""
    today = timezone.localdate()
    if not period.start <= today < period.end:
        return None
    return metrics.ratio((today - period.start).days + 1, period.days)


def _ancestors(team: Team, who) -> list[Team]:
    """The teams between the viewer's own and this one, for the breadcrumb back up."""
    ids = [int(pk) for pk in team.path.strip("/").split("/")[:-1]]
    above = Team.objects.filter(pk__in=ids)
    if not who.is_admin:
        above = above.filter(who.subtree_q())
    return sorted(above, key=lambda t: len(t.path))


def _deltas(figures, previous) -> dict:
    return {
        "percent_to_plan": _difference(figures.percent_to_plan, previous.percent_to_plan),
        "won_amount": metrics.growth(figures.won_amount, previous.won_amount),
        "close_ratio_count": _difference(figures.close_ratio_count, previous.close_ratio_count),
    }


def _difference(now, before):
    return None if now is None or before is None else now - before


def _trend_chart(trend) -> dict:
    won = [point.won_amount for point in trend]
    plan = [point.target for point in trend]
    labels = [point.label for point in trend]
    return chart("trend", labels, [("Closed won", won), ("Plan", plan)], formatting.money_compact)


def _funnel_chart(figures) -> dict:
    reached = [step.reached for step in figures.funnel]
    labels = [step.stage for step in figures.funnel]
    return chart("funnel", labels, [("Deals that reached the stage", reached)], formatting.count, whole=True)


def seller_dashboard_context(*, person, period) -> dict:
    """The figures on a seller's own page: their KPIs, pace through the period and trend."""
    population = seller_population(person)
    figures = kpi_set(population, period)
    today = timezone.localdate()
    elapsed = (min(today, period.end) - period.start).days + 1
    trend = quarter_trend(population, period)
    return {
        "figures": figures,
        "pace": metrics.pace(figures.won_amount, figures.target, elapsed, period.days),
        "elapsed_share": metrics.ratio(max(0, min(elapsed, period.days)), period.days),
        "trend": trend,
        "trend_chart": _trend_chart(trend),
    }


def nudge_list(request):
    """The signed-in person's nudges, newest first; POST marks them all as read."""
    from firstline.kpis.models import Nudge

    nudges = Nudge.objects.visible_to(request.user).select_related("target")
    if request.method == "POST":
        nudges.filter(read=False).update(read=True)
        return redirect("kpis:nudge_list")
    return render(request, "kpis/nudge_list.html", {"nudges": nudges[:100]})
