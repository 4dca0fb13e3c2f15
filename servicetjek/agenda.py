"""Meeting agendas computed from the runbooks: real clock times and concrete advice.

Single-theme meeting: welcome, 5 min reflection, a round of up to 2 min per participant,
15 min reflection, another round of up to 2 min per participant, decision A (30 min) or
B (10 min). Dialogue meeting: tables of about six per theme, reports of up to 5 and 3
minutes per table, group work of 45 and 30 minutes, 15 min wrap-up. Every one of these
numbers comes from content/*/method.toml; none is written here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicetjek.content import Runbook, Step, load
from servicetjek.errors import DomainError
from servicetjek.i18n import Message

MAX_PARTICIPANTS = 500


def table_target() -> int:
    """"About six" per table: the content's dialogue runbook says how many."""
    return load().dialogue.table_size


def table_max() -> int:
    return table_target() + 1


@dataclass(frozen=True)
class AgendaItem:
    number: int | None  # the runbook's step number; None for a break
    key: str
    title: str
    minutes: int
    start: datetime
    end: datetime
    note: str = ""


Advice = Message  # a concrete way to fit an overrunning meeting


@dataclass(frozen=True)
class Agenda:
    kind: str
    items: tuple[AgendaItem, ...]
    participants: int
    tables: dict[str, int]  # theme -> number of tables (dialogue meeting)
    planned_minutes: int
    advice: tuple[Advice, ...]

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.items)

    @property
    def end(self) -> datetime:
        return self.items[-1].end

    @property
    def overruns(self) -> bool:
        return self.total_minutes > self.planned_minutes


def tables_for(participants: int) -> int:
    """Tables of about six: the fewest tables with at most seven at each."""
    return max(1, math.ceil(participants / table_max()))


def split_evenly(participants: int, themes: list[str]) -> dict[str, int]:
    base, extra = divmod(participants, len(themes))
    return {theme: base + (1 if i < extra else 0) for i, theme in enumerate(themes)}


def _validate(participants: int, themes: list[str], decision: str, welcome: int, pause: int) -> None:
    if not isinstance(participants, int) or not 1 <= participants <= MAX_PARTICIPANTS:
        raise DomainError("agenda.participants_invalid", n=MAX_PARTICIPANTS)
    if not themes:
        raise DomainError("agenda.themes_required")
    if decision not in ("A", "B"):
        raise DomainError("agenda.decision_invalid")
    if not 0 <= welcome <= 60 or not 0 <= pause <= 60:
        raise DomainError("agenda.minutes_invalid")


def _step_minutes(step: Step, participants: int, tables: int, decision: str, welcome: int,
                  minutes_per_participant: int | None) -> int:
    if step.editable:
        return welcome
    if step.per_participant:  # "up to" the runbook's minutes: a shorter turn may be asked for
        return min(step.per_participant, minutes_per_participant or step.per_participant) * participants
    if step.per_group:
        return step.per_group * tables
    if step.options:
        return step.options[decision]
    return step.minutes


def build(book: Runbook, kind: str, start: datetime, participants: int, themes: list[str],
          decision: str = "A", welcome: int | None = None, pause: int = 0, planned_minutes: int | None = None,
          per_theme: dict[str, int] | None = None, minutes_per_participant: int | None = None,
          break_title: str = "Pause") -> Agenda:
    """The agenda with clock times; `per_theme` gives participants per theme when known."""
    welcome = book.welcome_minutes if welcome is None else welcome
    _validate(participants, themes, decision, welcome, pause)
    if kind == "single":
        themes = themes[:1]
        tables = {themes[0]: 1}
    else:
        per_theme = per_theme or split_evenly(participants, themes)
        tables = {t: tables_for(per_theme.get(t, 0)) for t in themes if per_theme.get(t, 0) > 0}
    table_count = sum(tables.values())
    items, clock = [], start
    for number, step in enumerate(book.steps, start=1):
        minutes = _step_minutes(step, participants, table_count, decision, welcome, minutes_per_participant)
        items.append(AgendaItem(number, step.key, step.title, minutes, clock, clock + timedelta(minutes=minutes)))
        clock += timedelta(minutes=minutes)
        # A break fits best before the second half of either meeting (after step 3).
        if pause and number == 3:
            items.append(AgendaItem(None, "break", break_title, pause, clock, clock + timedelta(minutes=pause)))
            clock += timedelta(minutes=pause)
    total = sum(i.minutes for i in items)
    planned = planned_minutes or (book.planned_minutes if kind == "single" else total)
    agenda = Agenda(kind, tuple(items), participants, tables, planned, ())
    advice = advise(book, agenda, decision, welcome, pause, minutes_per_participant) if total > planned else ()
    return Agenda(kind, tuple(items), participants, tables, planned, advice)


def advise(book: Runbook, agenda: Agenda, decision: str, welcome: int, pause: int,
           minutes_per_participant: int | None) -> tuple[Advice, ...]:
    """Concrete ways to fit an overrunning single-theme meeting into the planned time."""
    over = agenda.total_minutes - agenda.planned_minutes
    out = [Advice("agenda.overrun", {"total": agenda.total_minutes, "planned": agenda.planned_minutes,
                                     "over": over})]
    if agenda.kind != "single":
        out.append(Advice("agenda.dialogue_longer", {"total": agenda.total_minutes}))
        return tuple(out)
    turns = {s.key: s.per_participant for s in book.steps if s.per_participant}
    rounds = [i for i in agenda.items if i.key in turns]
    n = agenda.participants
    if rounds:
        out.append(Advice("agenda.rounds_take", {"n": n, "minutes": rounds[0].minutes}))
    per_turn = min([minutes_per_participant or t for t in turns.values()] or [0])
    if n > table_target() and rounds:
        groups = tables_for(n)
        group_size = math.ceil(n / groups)
        saved = len(rounds) * per_turn * (n - group_size)
        out.append(Advice("agenda.parallel_groups", {"groups": groups, "size": group_size,
                                                     "minutes": per_turn * group_size,
                                                     "total": agenda.total_minutes - saved}))
    fixed = agenda.total_minutes - sum(r.minutes for r in rounds)
    room = agenda.planned_minutes - fixed
    if rounds:
        seconds = int(max(0, room) / (len(rounds) * n) * 60) // 15 * 15
        # Under half a minute each is no longer a round; say so instead of suggesting it.
        out.append(Advice("agenda.shorter_rounds" if seconds >= 30 else "agenda.shorter_rounds_too_short",
                          {"seconds": seconds}))
    if decision == "A":
        saved = book.steps[-1].options["A"] - book.steps[-1].options["B"]
        out.append(Advice("agenda.decision_b", {"saved": saved, "total": agenda.total_minutes - saved}))
    return tuple(out)


def assign_tables(participants: list[tuple[str, list[str]]], themes: list[str]) -> dict[str, list[list[str]]]:
    """Seat named participants at theme tables of about six, honouring preferences.

    `participants` is (name, preferred themes in order). Everyone gets their first
    choice while that theme's tables have room; the theme's table count follows its first
    choices. Those without a usable preference fill the emptiest theme. Deterministic for
    the same input.
    """
    if not themes:
        raise DomainError("agenda.themes_required")
    first_choice = {t: 0 for t in themes}
    for _name, prefs in participants:
        usable = [p for p in prefs if p in themes]
        if usable:
            first_choice[usable[0]] += 1
    total = len(participants)
    # Tables per theme from demand, at least one per theme, enough seats for everyone.
    tables = {t: max(1, round(first_choice[t] / table_target())) for t in themes}
    while sum(tables.values()) * table_max() < total:
        busiest = max(themes, key=lambda t: (first_choice[t] / tables[t], -themes.index(t)))
        tables[busiest] += 1
    capacity = {t: tables[t] * table_max() for t in themes}
    seated: dict[str, list[str]] = {t: [] for t in themes}
    waiting = []
    for name, prefs in participants:
        for theme in [p for p in prefs if p in themes]:
            if len(seated[theme]) < capacity[theme]:
                seated[theme].append(name)
                break
        else:
            waiting.append(name)
    for name in waiting:
        theme = min(themes, key=lambda t: (len(seated[t]) / tables[t], themes.index(t)))
        seated[theme].append(name)
    result = {}
    for theme in themes:
        count = tables[theme]
        result[theme] = [seated[theme][i::count] for i in range(count)]
    return result
