"""Pages that list people one per row — the team's work records, data quality, the duty roster,
the VIO-3 assessments, the VIO-4 scorecard — and the choices that name every rep (whom to
allocate to): for a nationwide company (1,135 reps in 125 groups at `demo --staff 1000`) the GM's
page was a megabyte of rows. Above `ROWS_PER_PAGE_MAX` people such a page shows one line per team
(ORG-3: the person's department) and the rows of the team chosen; a smaller company still sees
every row at once. The template `_team_filter.html` offers the choice."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.db import ids_select
from poolcrm.org.models import Department, User

T = TypeVar("T")
Measure = Callable[[list[T]], dict[str, Any]]

ROWS_PER_PAGE_MAX = 60
"""People listed one per row at once without choosing a team (a display limit, not a rule)."""


@dataclass(frozen=True)
class Team:
    id: int  # the department's id; 0: people without a department
    name: str


@dataclass
class TeamView:
    """The teams of the people a page lists, the one chosen (if any) and whether rows are shown."""

    teams: list[Team]
    team_of: dict[int, Team]
    chosen: Team | None
    people: int
    detail: bool = field(init=False)

    def __post_init__(self) -> None:
        self.detail = self.chosen is not None or self.people <= ROWS_PER_PAGE_MAX or len(self.teams) < 2

    def keeps(self, user_id: int) -> bool:
        """Whether a person's row is listed: every row without a team chosen, else the team's."""
        return self.chosen is None or self.team_of.get(user_id) == self.chosen

    def keeps_team(self, team: Team) -> bool:
        """Whether a team's line is shown: every line without a team chosen, else the chosen one."""
        return self.chosen is None or team == self.chosen

    def lines(
        self, rows: Iterable[T], person: Callable[[T], int], measure: Measure[T]
    ) -> list[dict[str, Any]]:
        """A line per team shown (all, or the one chosen): `measure` of the team's rows, with the
        team under "team"; a row of nobody the view knows is left out."""
        by_team: dict[Team, list[T]] = {t: [] for t in self.teams}
        for row in rows:
            team = self.team_of.get(person(row))
            if team is not None:
                by_team[team].append(row)
        return [{"team": t, **measure(mine)} for t, mine in by_team.items() if self.keeps_team(t)]

    def shown(self, rows: Iterable[T], person: Callable[[T], int]) -> list[T]:
        """The rows listed one per person: the chosen team's (every row without a choice); none
        while the page shows its lines per team."""
        return [r for r in rows if self.keeps(person(r))] if self.detail else []

    def first_page(self, rows: Iterable[T], person: Callable[[T], int]) -> list[T]:
        """A list to choose from or to glance at (a select box, who is on duty): the chosen team's
        rows, else the first `ROWS_PER_PAGE_MAX` in the order given."""
        kept = [r for r in rows if self.keeps(person(r))]
        return kept if self.chosen else kept[:ROWS_PER_PAGE_MAX]


NO_TEAM = Team(0, "")


def natural_key(name: str) -> list[tuple[int, int, str]]:
    """Names in the order a person counts: 销售2组 before 销售10组."""
    parts = re.split(r"([0-9]+)", name)
    return [(1, int(part), "") if part.isascii() and part.isdigit() else (0, 0, part) for part in parts]


def team_view(session: Session, user_ids: Iterable[int], chosen: int | None) -> TeamView:
    """ORG-3: the teams of these people (one statement), by name; `chosen` a department id the
    viewer asked for — one that is not among these teams is no choice (the page shows its lines
    per team), so a department outside the viewer's people says nothing about itself."""
    ids = sorted(set(user_ids))
    team_of: dict[int, Team] = {}
    if ids:
        rows = session.execute(
            select(User.id, Department.id, Department.name)
            .outerjoin(Department, Department.id == User.department_id)
            .where(User.id.in_(ids_select(session, ids)))
        )
        for uid, dept_id, name in rows:
            team_of[uid] = Team(dept_id, name) if dept_id is not None else NO_TEAM
    teams = sorted(set(team_of.values()), key=lambda t: (t.id == 0, natural_key(t.name)))
    picked = next((t for t in teams if t.id == chosen), None) if chosen is not None else None
    return TeamView(teams, team_of, picked, len(team_of))
