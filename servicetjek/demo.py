"""A believable demo organisation, deterministic for a seed and scalable for benchmarks.

`python -m servicetjek.demo --reset` fills the database named by SERVICETJEK_DB and
prints one login per role.
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from servicetjek import clock, org, rounds, totals, users
from servicetjek.content import THEME_IDS
from servicetjek.db import Database, database_target, is_postgres, open_database, wipe

DEMO_PASSWORD = "demo-servicetjek"  # demo database only; printed by `make demo`
FORVALTNINGER = {
    "Borgerservice og Digitalisering": ["Borgerservice", "Digitalisering", "Løn og Personale", "Økonomi"],
    "Børn og Familie": ["Familierådgivning", "PPR", "Dagtilbudsadministration", "Sundhedsplejen"],
    "Teknik og Miljø": ["Byggesag", "Plan og Udvikling", "Natur og Vand", "Vej og Park"],
}
GROUPS = ["Ny medarbejder", "Medarbejder", "Leder"]


@dataclass
class DemoResult:
    department_ids: list[int]
    round_ids: list[int]
    logins: dict[str, str]
    live_token: str


def _profile(rng: random.Random) -> np.ndarray:
    """A department's 'true' importance per theme: one or two themes stand out."""
    base = np.array([rng.uniform(2.0, 3.4) for _ in THEME_IDS])
    for i in rng.sample(range(len(THEME_IDS)), rng.choice([1, 1, 2])):
        base[i] = rng.uniform(3.9, 4.6)
    return base


def _answers(rng: np.random.Generator, profile: np.ndarray, n: int, round_id: int,
             groups: list[str], with_comments: bool) -> pd.DataFrame:
    scores = np.clip(np.rint(rng.normal(profile, 0.9, size=(n, len(THEME_IDS)))), 1, 5).astype("int8")
    frame = pd.DataFrame(scores, columns=list(THEME_IDS))
    frame.insert(0, "round_id", round_id)
    frame["respondent_group"] = rng.choice(groups + [None], size=n, p=[0.2, 0.6, 0.1, 0.1]) if groups else None
    comments = ["Vi mangler faste dage, hvor vi ses.", "Svært at få ro til sagsbehandling hjemme.",
                "Det er uklart, hvornår kolleger kan nås.", "Godt med fleksibiliteten, men savner fællesskabet."]
    if with_comments:
        frame["comment"] = [comments[i % len(comments)] if rng.random() < 0.3 else None for i in range(n)]
    else:
        frame["comment"] = None
    return frame


def insert_frame(db: Database, frame: pd.DataFrame) -> None:
    """Bulk-insert generated answers (columns as in `responses`, without the key)."""
    db.insert_rows("responses", ["round_id", *THEME_IDS, "respondent_group", "comment"], frame)


def generate(db: Database, seed: int = 7, size: int = 1, responses_per_round: int | None = None,
             now: datetime | None = None) -> DemoResult:
    """Fill `db` with `size` × (3 forvaltninger, 12 departments), users, and two rounds each."""
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    now = now or datetime(2026, 11, 1, 9, 0)
    department_ids, leaf_ids = [], []
    for copy in range(size):
        suffix = f" {copy + 1}" if size > 1 else ""
        for top, children in FORVALTNINGER.items():
            top_id = org.create(db, top + suffix)
            department_ids.append(top_id)
            for child in children:
                leaf_id = org.create(db, child, top_id, headcount=rng.randint(12, 60))
                department_ids.append(leaf_id)
                leaf_ids.append(leaf_id)
    logins = {"admin": "admin", "manager": "leder", "facilitator": "tovholder", "member": "medlem"}
    admin = users.create(db, "admin", "Anna Admin", DEMO_PASSWORD, "admin")
    users.create(db, "leder", "Lars Leder", DEMO_PASSWORD, "manager")
    users.create(db, "tovholder", "Tina Tovholder", DEMO_PASSWORD, "facilitator", [department_ids[0]])
    users.create(db, "medlem", "Mads Medlem", DEMO_PASSWORD, "member", [leaf_ids[0]])

    round_ids = []
    for leaf in leaf_ids:
        profile = _profile(rng)
        dept = org.get(db, leaf)
        for age_days, label in ((200, "forår"), (20, "efterår")):
            opens = now - timedelta(days=age_days)
            round_, _ = rounds.create(db, admin, leaf, f"Servicetjek {label} 2026", opens, opens + timedelta(days=14),
                                      groups=GROUPS)
            n = responses_per_round or max(2, int(dept.headcount * rng.uniform(0.25, 0.9)))
            frame = _answers(nprng, profile, n, round_.id, GROUPS, with_comments=responses_per_round is None)
            insert_frame(db, frame)
            profile = np.clip(profile + nprng.normal(0, 0.25, len(THEME_IDS)), 1, 5)
            round_ids.append(round_.id)
    totals.rebuild(db)  # the answers came in bulk, not through a close
    _meetings_and_trials(db, admin, leaf_ids, now)
    # One open round for the facilitator's first department, to show a live round.
    live, _ = rounds.create(db, admin, leaf_ids[0], "Servicetjek vinter 2026", clock.local_now() - timedelta(days=1),
                            clock.local_now() + timedelta(days=13), groups=GROUPS)
    round_ids.append(live.id)
    return DemoResult(department_ids, round_ids, logins, live.token)


TRIAL_IDEAS = [
    ("focus", "Fordybelsestid kl. 8–10 uden møder og chat", "Ro til sagsbehandling", "Teams-status på »fokus«"),
    ("availability", "Fast kernetid kl. 10–14, hvor alle kan nås", "Færre flaskehalse", "Fælles kalender"),
    ("cohesion", "Fælles kontordag om tirsdagen med frokost", "Et fælles vi", "Alle møder ind tirsdag"),
    ("trust", "Ugentligt tjek ind mandag kl. 9", "Mindre »jeg er her«-kommunikation", "15 min. på Teams"),
    ("fairness", "Rotation af de attraktive opgaver", "Lige adgang til goderne", "Fordeles på tavlemødet"),
]


THEME_NAMES = {"focus": "fordybelse", "availability": "tilgængelighed", "cohesion": "sammenhængskraft",
               "trust": "tillid", "fairness": "retfærdighed", "flexibility": "fleksibilitet"}
EXTRA_PROPOSALS = ["Stillerum på kontoret kan bookes", "Svartid på chat aftales til 2 timer",
                   "Månedlig faglig eftermiddag", "Lederen ringer til nye hver fredag"]


def _meetings_and_trials(db: Database, admin, leaf_ids: list[int], now: datetime) -> None:
    """Meetings and trials in every stage for the first departments, so the board looks lived-in."""
    from servicetjek import meetings, trials

    today = now.date()
    for i, dept in enumerate(leaf_ids[:4]):
        theme, what, why, how = TRIAL_IDEAS[i]
        meeting = meetings.plan(db, admin, dept, "single", f"Personalemøde om {THEME_NAMES[theme]}",
                                now - timedelta(days=60 - i), 9, [theme], "A", "Mødelokale 2", "Tina Tovholder")
        meetings.go_to_step(db, admin, meeting.id, 0, now=clock.to_storage(meeting.starts_at))
        proposal = meetings.add_proposal(db, admin, meeting.id, what, theme, "Tina")
        meetings.add_proposal(db, admin, meeting.id, EXTRA_PROPOSALS[i], theme)
        meetings.decide(db, admin, meeting.id, "A", {proposal.id: ("Tina og teamet", today - timedelta(days=40))})
        trial = trials.update(db, admin, proposal.id, trials.get(db, proposal.id).version, why=why, how=how)
        if i == 3:
            continue  # stays decided, not started
        trial = trials.start(db, admin, trial.id, trial.version, today - timedelta(days=[45, 20, 10][i]))
        if i == 0:
            for due, kind in trials.checkpoints(trial.start_date):
                if kind == "checkin":
                    trial = trials.record_checkin(db, admin, trial.id, trial.version, due, "Roen virker",
                                                  "Fordybelsestid 8–10", "Også fredag", today=due)
            trials.decide(db, admin, trial.id, trial.version, "permanent", "Alle vil fortsætte")
        if i == 1:
            due = trials.checkpoints(trial.start_date)[0][0]
            trials.record_checkin(db, admin, trial.id, trial.version, due, "Kernetiden hjælper nye",
                                  "Kernetid", "Start kl. 9.30", today=due)
    meetings.plan(db, admin, leaf_ids[0], "dialogue", "Dialogmøde om fordybelse og tilgængelighed",
                  now.replace(hour=13, minute=0) + timedelta(days=7), 18, ["focus", "availability", "trust"], "A",
                  "Store mødesal", "Tina Tovholder", break_minutes=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reset", action="store_true", help="delete the database (file) first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=1)
    parser.add_argument("--base-url", default=None,
                        help="where the app will be served (`make demo` passes its PORT); default "
                             "SERVICETJEK_BASE_URL or http://localhost:8501")
    args = parser.parse_args(argv)
    target = database_target()
    shown = "PostgreSQL" if is_postgres(target) else target  # a URL may carry a password
    if args.reset:
        wipe(target)
    db = open_database(target)
    if users.count(db):
        print(f"{shown} already has data; use --reset to rebuild it.")
        return
    # Dates relative to today so the demo looks current; tests pass a fixed `now`.
    now = clock.local_now().replace(tzinfo=None, minute=0, second=0, microsecond=0)  # Copenhagen wall clock
    result = generate(db, seed=args.seed, size=args.size, now=now)
    db.close()
    print(f"Demo database: {shown}")
    for role, username in result.logins.items():
        print(f"  {role:12} {username:10} / {DEMO_PASSWORD}")
    base = (args.base_url or os.environ.get("SERVICETJEK_BASE_URL") or "http://localhost:8501").rstrip("/")
    print(f"Open rating link: {base}/?r={result.live_token}")


if __name__ == "__main__":
    main()
