from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicetjek import org, rounds
from servicetjek.content import THEME_IDS
from servicetjek.errors import DomainError, PermissionDenied
from servicetjek.rounds import SubmissionRefused

GOOD = dict.fromkeys(THEME_IDS, 3)


def open_round(db, user, dept, **kwargs):
    now = datetime.now()
    return rounds.create(db, user, dept, "Forår", now - timedelta(hours=1), now + timedelta(days=7), **kwargs)


def test_token_is_long_random_and_codes_are_unambiguous(db, org_tree, people):
    r, codes = open_round(db, people["facilitator"], org_tree["A1"], access_mode="codes", code_count=50)
    assert rounds.TOKEN_RE.match(r.token) and len(r.token) * 6 >= 128
    assert len(set(codes)) == 50
    assert all(len(c) == 9 and not set(c.replace("-", "")) & set("0O1IL") for c in codes)
    # only hashes are stored, in the round's holding file: no plain code in any file
    files = [p for p in (tmp_path_of(db)).rglob("*") if p.is_file()]
    raw = b"".join(p.read_bytes() for p in files)
    assert not [c for c in codes if c.encode() in raw or c.replace("-", "").encode() in raw]
    assert rounds.codes_used(db, r.id) == (0, 50)


def tmp_path_of(db):
    from pathlib import Path

    return Path(db.path).parent


def test_facilitator_cannot_create_round_outside_own_departments(db, org_tree, people):
    with pytest.raises(PermissionDenied):
        open_round(db, people["facilitator"], org_tree["B1"])
    with pytest.raises(PermissionDenied):
        open_round(db, people["manager"], org_tree["A1"])


@pytest.mark.parametrize("change, key", [
    ({"title": ""}, "rounds.title_required"),
    ({"groups": [f"g{i}" for i in range(7)]}, "rounds.too_many_groups"),
    ({"access_mode": "codes", "code_count": 0}, "rounds.code_count_invalid"),
    ({"audience": "alle"}, "rounds.audience_invalid"),
])
def test_round_validation(db, org_tree, people, change, key):
    now = datetime.now()
    args = {"title": "T", "groups": (), "access_mode": "link", "code_count": 0, "audience": "staff"} | change
    with pytest.raises(DomainError) as err:
        rounds.create(db, people["admin"], org_tree["A1"], args["title"], now, now + timedelta(days=1),
                      args["audience"], args["groups"], args["access_mode"], args["code_count"])
    assert err.value.key == key
    with pytest.raises(DomainError, match="dates_order"):
        rounds.create(db, people["admin"], org_tree["A1"], "T", now, now - timedelta(days=1))


def test_submit_stores_one_anonymous_row(db, org_tree, people):
    r, _ = open_round(db, people["facilitator"], org_tree["A1"], groups=["Leder", "Medarbejder"])
    rounds.submit(db, r.token, GOOD, "Leder", "  Mere ro  ", session_key="s1")
    assert rounds.response_count(db, r.id) == 1
    for i in range(4):
        rounds.submit(db, r.token, GOOD, session_key=f"other{i}")
    rounds.close(db, people["facilitator"], r.id)  # released answers reach the main table at close
    row = db.query_dicts("SELECT * FROM responses WHERE comment IS NOT NULL")[0]
    assert set(row) == {"response_key", "round_id", *THEME_IDS, "respondent_group", "comment"}
    assert row["comment"] == "Mere ro" and row["respondent_group"] == "Leder"
    assert rounds.response_count(db, r.id) == 5


def test_one_answer_per_browser_session(db, org_tree, people):
    r, _ = open_round(db, people["facilitator"], org_tree["A1"])
    rounds.submit(db, r.token, GOOD, session_key="s1")
    with pytest.raises(SubmissionRefused, match="already_answered"):
        rounds.submit(db, r.token, GOOD, session_key="s1")
    rounds.submit(db, r.token, GOOD, session_key="s2")
    assert rounds.response_count(db, r.id) == 2


def test_schema_has_no_identifying_or_ordering_columns(db):
    columns = {r[0]: r[1] for r in db.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'responses'")}
    forbidden = ("time", "date", "created", "ip", "agent", "session", "code", "user", "seq")
    assert not [c for c in columns if any(f in c for f in forbidden)]
    assert columns["response_key"].upper() == "UUID"
    assert not [t for t in columns.values() if "TIMESTAMP" in t or t == "DATE"]
    code_cols = {r[0] for r in db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'round_codes'")}
    assert code_cols == {"round_id", "code_hash", "used"}  # nothing that points at a response


def test_codes_are_single_use_and_unlinkable(db, org_tree, people):
    r, codes = open_round(db, people["admin"], org_tree["A1"], access_mode="codes", code_count=3)
    with pytest.raises(SubmissionRefused, match="code_required"):
        rounds.submit(db, r.token, GOOD)
    with pytest.raises(SubmissionRefused, match="code_unknown"):
        rounds.submit(db, r.token, GOOD, code="AAAA-AAAA")
    rounds.submit(db, r.token, GOOD, code=codes[0].lower().replace("-", " "))
    with pytest.raises(SubmissionRefused, match="code_used"):
        rounds.submit(db, r.token, GOOD, code=codes[0])
    assert rounds.codes_used(db, r.id) == (1, 3)
    assert rounds.response_count(db, r.id) == 1


def test_bad_links_and_round_states(db, org_tree, people):
    for token in (None, "", "abc", "x" * 32, "../../etc/passwd", "' OR 1=1 --"):
        with pytest.raises(SubmissionRefused, match="unknown_link"):
            rounds.submit(db, token, GOOD)
    now = datetime.now()
    later, _ = rounds.create(db, people["admin"], org_tree["A1"], "Senere", now + timedelta(days=1),
                             now + timedelta(days=2))
    with pytest.raises(SubmissionRefused, match="not_open"):
        rounds.submit(db, later.token, GOOD)
    # The round behind a link is memoised, its state is not: it opens by the clock.
    assert rounds.open_for_answers(db, later.token, now=rounds.utcnow() + timedelta(days=1, hours=1)) == later
    r, _ = open_round(db, people["admin"], org_tree["A1"])
    rounds.submit(db, r.token, GOOD)  # memoises the round; a close must still take effect at once
    rounds.close(db, people["admin"], r.id)
    with pytest.raises(SubmissionRefused, match="rate.closed"):
        rounds.submit(db, r.token, GOOD)
    rounds.reopen(db, people["admin"], r.id, now + timedelta(days=3))
    rounds.submit(db, r.token, GOOD)
    org.set_archived(db, org_tree["A1"], True)
    with pytest.raises(SubmissionRefused, match="archived"):
        rounds.submit(db, r.token, GOOD)


def test_group_and_comment_rules(db, org_tree, people):
    r, _ = open_round(db, people["admin"], org_tree["A1"], groups=["Leder"])
    with pytest.raises(SubmissionRefused, match="group_invalid"):
        rounds.submit(db, r.token, GOOD, group="Direktør")
    with pytest.raises(SubmissionRefused, match="comment_too_long"):
        rounds.submit(db, r.token, GOOD, comment="x" * 1001)
    rounds.submit(db, r.token, GOOD, comment="x" * 1000)
    assert rounds.response_count(db, r.id) == 1


bad_score = st.one_of(st.integers().filter(lambda v: not 1 <= v <= 5), st.floats(), st.text(max_size=3),
                      st.none(), st.booleans(), st.lists(st.integers(), max_size=2))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(theme=st.sampled_from(THEME_IDS), value=bad_score, drop=st.booleans())
def test_any_bad_score_is_refused_and_nothing_stored(db, org_tree, people, theme, value, drop):
    existing = db.query("SELECT token FROM rounds WHERE title = 'Prop'")
    if existing:
        token = existing[0][0]
    else:
        token = open_round(db, people["admin"], org_tree["A1"])[0].token
        db.execute("UPDATE rounds SET title = 'Prop' WHERE token = ?", [token])
    scores = dict(GOOD)
    if drop:
        del scores[theme]
    else:
        scores[theme] = value
    before = rounds.answers_stored(db)
    with pytest.raises(SubmissionRefused) as err:
        rounds.submit(db, token, scores)
    assert err.value.key in ("rate.score_invalid", "rate.scores_missing")
    assert rounds.answers_stored(db) == before


def test_concurrent_use_of_one_code_stores_exactly_one_answer(db, org_tree, people):
    import threading

    r, codes = open_round(db, people["admin"], org_tree["A1"], access_mode="codes", code_count=1)
    outcomes = []

    def attempt():
        try:
            rounds.submit(db, r.token, GOOD, code=codes[0])
            outcomes.append("ok")
        except SubmissionRefused as e:
            outcomes.append(e.key)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert outcomes.count("ok") == 1
    assert rounds.response_count(db, r.id) == 1


def test_qr_codes_and_code_slips(db, org_tree, people):
    import segno

    from servicetjek import exports

    r, codes = open_round(db, people["admin"], org_tree["A1"], access_mode="codes", code_count=30)
    link = f"https://servicetjek.example.dk/?r={r.token}"
    assert exports.qr_png(link).startswith(b"\x89PNG")
    assert b"<svg" in exports.qr_svg(link)
    assert segno.make(link, error="m").designator.endswith("-M")  # medium error correction for slides
    pdf = exports.code_slips_pdf("Forår – æøå", codes, "Scan og skriv koden")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 2  # 24 per page
