"""Several app processes on one PostgreSQL (issue 16): two Database instances, each with its
own pool, memo and in-process locks, stand for two processes. Every rule that one process
held by itself must hold between them."""

import threading
from datetime import date, datetime, timedelta

import pytest

from servicetjek import db as dbmod
from servicetjek import holding, meetings, org, rounds, trials, users
from servicetjek.content import THEME_IDS
from servicetjek.errors import DomainError
from servicetjek.rounds import SubmissionRefused
from tests.conftest import PASSWORD

GOOD = dict.fromkeys(THEME_IDS, 3)


@pytest.fixture
def two(pg_url):
    """Two 'processes' on one database, and an admin and a unit made through the first."""
    first, second = dbmod.open_database(pg_url), dbmod.open_database(pg_url)
    yield first, second
    first.close()
    second.close()


@pytest.fixture
def setup(two):
    first, _ = two
    unit = org.create(first, "Team A")
    admin = users.create(first, "admin", "Anna Admin", PASSWORD, "admin")
    return unit, admin


def at_once(*calls):
    """Run the calls in threads released together; returns each outcome (value or exception)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            outcomes[i] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def open_round(db, user, unit, **kwargs):
    now = datetime.now()
    return rounds.create(db, user, unit, "Forår", now - timedelta(hours=1), now + timedelta(days=7), **kwargs)


def test_migrations_run_once_per_deployment(postgres):
    # Two processes start at once on an empty database: under the advisory lock one applies
    # every migration and the other finds them done.
    postgres.sql("CREATE DATABASE empty_at_start")
    url = postgres.url_of("empty_at_start")
    opened = at_once(lambda: dbmod.open_database(url), lambda: dbmod.open_database(url))
    every = [name for _, name, _ in dbmod.migrations("postgresql")]
    assert sorted((d.applied for d in opened), key=len) == [[], every], opened
    versions = opened[0].query("SELECT version FROM schema_migrations ORDER BY version")
    assert len(versions) == len({v for (v,) in versions}) == len(every)
    for d in opened:
        d.close()
    postgres.drop(url)


def test_round_closed_in_one_process_is_closed_in_the_other_at_once(two, setup):
    first, second = two
    unit, admin = setup
    round_, _ = open_round(first, admin, unit)
    assert rounds.open_for_answers(second, round_.token).id == round_.id  # memoised in the second
    rounds.close(first, admin, round_.id)
    with pytest.raises(SubmissionRefused, match="closed"):
        rounds.open_for_answers(second, round_.token)
    with pytest.raises(SubmissionRefused, match="closed"):
        rounds.submit(second, round_.token, GOOD)


def test_a_setting_changed_in_one_process_is_seen_by_the_other(two, setup):
    from servicetjek import settings

    first, second = two
    assert settings.min_answers(second) == 5
    settings.put(first, "min_answers", "7")
    assert settings.min_answers(second) == 7


def test_a_code_spent_from_two_processes_at_once_is_accepted_once(two, setup):
    first, second = two
    unit, admin = setup
    round_, codes = open_round(first, admin, unit, access_mode="codes", code_count=8)
    for code in codes:
        outcomes = at_once(*(lambda db=db, code=code: rounds.submit(db, round_.token, GOOD, code=code)
                             for db in two))
        assert sum(o is None for o in outcomes) == 1, outcomes
        assert [o.key for o in outcomes if o is not None] == ["rate.code_used"]
    assert rounds.response_count(first, round_.id) == len(codes)
    assert rounds.codes_used(second, round_.id) == (len(codes), len(codes))


def test_answers_from_two_processes_and_a_close_lose_nothing(two, setup):
    first, second = two
    unit, admin = setup
    round_, _ = open_round(first, admin, unit)

    def answers(db, n):
        stored = 0
        for _ in range(n):
            try:
                rounds.submit(db, round_.token, GOOD)
                stored += 1
            except SubmissionRefused as refused:
                assert refused.key == "rate.closed"
        return stored

    def close_midway():
        while rounds.response_count(first, round_.id) < 4:  # answers are arriving from both
            pass
        rounds.close(first, admin, round_.id)

    outcomes = at_once(lambda: answers(first, 15), lambda: answers(second, 15), close_midway)
    acknowledged = outcomes[0] + outcomes[1]
    assert acknowledged >= 4
    rounds.settle_due(second)
    # every acknowledged answer is in `responses` or still held (fewer than k after the last release)
    assert rounds.response_count(second, round_.id) == acknowledged


def test_an_answer_in_flight_while_another_process_closes_is_stored_or_refused_never_lost(two, setup):
    """The second process is inside its storing transaction, round seen open, when the first
    closes the round: the close waits for it (row lock) and settles the answer, or the answer's
    transaction is retried and refused. Never acknowledged and then left out of the close."""
    first, second = two
    unit, admin = setup
    round_, _ = open_round(first, admin, unit)
    for _ in range(5):  # held answers the close moves (and whose holding it then deletes)
        rounds.submit(first, round_.token, GOOD)
    inside, closed = threading.Event(), threading.Event()

    def open_then_wait(now):
        still_open = rounds._still_open(second, round_.id, now)
        if not inside.is_set():
            inside.set()
            closed.wait(timeout=1.0)  # the close runs now, unless the row lock holds it back
        return still_open

    def close():
        inside.wait()
        rounds.close(first, admin, round_.id)
        closed.set()

    answer = holding.Held((*GOOD.values(), None, None))
    outcome, _ = at_once(lambda: holding.for_database(second).store(round_.id, [answer], open_then_wait), close)
    rounds.settle_due(second)
    acknowledged = outcome == {}
    assert acknowledged or isinstance(outcome.get(0), holding.RoundClosed), outcome
    assert rounds.response_count(second, round_.id) == 5 + acknowledged


def test_only_one_first_admin_from_two_processes(pg_url, two):
    first, second = two
    code = users.new_setup_code(first)
    outcomes = at_once(lambda: users.create_first_admin(first, "anna", "Anna", PASSWORD, code),
                       lambda: users.create_first_admin(second, "bo", "Bo", PASSWORD, code))
    assert sum(isinstance(o, users.User) for o in outcomes) == 1, outcomes
    assert users.count(first) == 1


def test_two_processes_cannot_demote_the_last_two_admins_together(two, setup):
    first, second = two
    users.create(first, "admin2", "Bo Admin", PASSWORD, "admin")
    for _ in range(3):
        outcomes = at_once(lambda: users.update(first, "admin", "Anna Admin", "manager", [], True),
                           lambda: users.update(second, "admin2", "Bo Admin", "manager", [], True))
        admins = first.query("SELECT count(*) FROM users WHERE role = 'admin' AND active")[0][0]
        assert admins >= 1, outcomes
        for name in ("admin", "admin2"):  # both admins again for the next try
            first.execute("UPDATE users SET role = 'admin' WHERE username = ?", [name])


def test_chosen_trials_stay_within_the_limit_across_processes(two, setup):
    first, second = two
    unit, admin = setup
    for attempt in range(6):  # the two choices overlap in time on some attempts at least
        meeting = meetings.plan(first, admin, unit, "single", "Temamøde", datetime(2027, 3, 1 + attempt, 9), 8,
                                ["focus"], "A")
        proposals = [meetings.add_proposal(first, admin, meeting.id, f"Forslag {i}", "focus") for i in range(4)]
        for p in proposals[:2]:
            meetings.sort_proposal(first, admin, meeting.id, p.id, p.version, None, None, True)
        outcomes = at_once(*(lambda db=db, p=p, m=meeting.id: meetings.sort_proposal(db, admin, m, p.id, p.version,
                                                                                    None, None, True)
                             for db, p in zip(two, proposals[2:], strict=True)))
        assert [type(o) for o in outcomes].count(trials.Trial) == 1, outcomes
        assert [o.key for o in outcomes if isinstance(o, DomainError)] == ["meetings.choose_max"]
        assert sum(t.chosen for t in trials.for_meeting(second, meeting.id)) == meetings.choose_max()


def test_a_board_shared_from_two_processes_has_one_link(two, setup):
    first, second = two
    unit, admin = setup
    tokens = at_once(lambda: trials.share_board(first, admin, unit), lambda: trials.share_board(second, admin, unit))
    assert tokens[0] == tokens[1] and isinstance(tokens[0], str)
    assert trials.department_for_board_token(second, tokens[0]) == unit


def test_follow_up_dates_are_dates(two, setup):
    # PostgreSQL hands back the same Python types as DuckDB (numeric as float, dates as dates).
    first, _ = two
    unit, admin = setup
    trial = trials.create(first, admin, unit, "focus", "Stille formiddag", who="Tina")
    saved = trials.update(first, admin, trial.id, trial.version, follow_up=date(2027, 4, 1))
    assert saved.follow_up == date(2027, 4, 1)


def test_the_apps_own_backups_refuse_postgresql(two, tmp_path):
    from servicetjek import backup

    with pytest.raises(DomainError, match="backup_postgresql"):
        backup.make_backup(two[0], tmp_path / "b.duckdb")


def test_placeholders_and_percent_signs_reach_postgresql_intact(two):
    first, _ = two
    assert first.query_one("SELECT 'ja?' || ?, '50 %' || ?, 7 % 4", ["nej", "!"]) == ("ja?nej", "50 %!", 3)


def test_connections_cut_by_the_server_cost_no_request(two, postgres):
    first, _ = two
    assert first.query_one("SELECT 1") == (1,)
    database = first.query_one("SELECT current_database()")[0]
    postgres.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
    assert first.query_one("SELECT 1") == (1,)  # a restart or fail-over looks like this to the pool
