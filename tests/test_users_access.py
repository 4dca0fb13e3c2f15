import pytest

from servicetjek import access, org, settings, users
from servicetjek.errors import DomainError
from tests.conftest import PASSWORD


def test_first_admin_only_once(db):
    code = users.new_setup_code(db)
    users.create_first_admin(db, "anna", "Anna", PASSWORD, code)
    with pytest.raises(DomainError, match="first_admin_done"):
        users.create_first_admin(db, "bo", "Bo", PASSWORD, code)


def test_password_rules_and_hashing(db):
    with pytest.raises(DomainError, match="password_short"):
        users.create(db, "kort", "Kort", "abc", "member")
    with pytest.raises(DomainError, match="password_long"):
        users.create(db, "lang", "Lang", "æ" * 40, "member")  # 80 bytes > bcrypt's 72
    user = users.create(db, "ok", "Ok", PASSWORD, "member")
    stored = db.query_one("SELECT password_hash FROM users WHERE username = 'ok'")[0]
    assert stored.startswith("$2") and PASSWORD not in stored
    assert users.verify_login(db, "OK ", PASSWORD).username == user.username


def test_deactivated_user_cannot_log_in_and_is_not_active(db, people):
    users.update(db, "medlem", "Mads", "member", [], active=False)
    with pytest.raises(DomainError, match="login.failed"):
        users.verify_login(db, "medlem", PASSWORD)
    assert users.active_user(db, "medlem") is None


def test_last_admin_cannot_be_demoted(db, people):
    with pytest.raises(DomainError, match="last_admin"):
        users.update(db, "admin", "Anna", "manager", [], True)


def test_role_rules(db, org_tree, people):
    depts = org.all_departments(db)
    ids = set(org_tree.values())
    a_tree = {org_tree["A"], org_tree["A1"], org_tree["A2"]}
    admin, manager, fac, member = (people[r] for r in ("admin", "manager", "facilitator", "member"))
    assert access.allowed_departments(admin, access.MANAGE_ROUNDS, depts) == ids
    assert access.allowed_departments(manager, access.VIEW_RESULTS, depts) == ids
    assert access.allowed_departments(manager, access.MANAGE_ROUNDS, depts) == set()
    assert access.allowed_departments(manager, access.EDIT_BOARD, depts) == set()
    assert access.allowed_departments(fac, access.MANAGE_ROUNDS, depts) == a_tree
    assert access.allowed_departments(fac, access.VIEW_RESULTS, depts) == a_tree
    assert not access.can(fac, access.VIEW_RESULTS, org_tree["B1"], depts)
    assert not access.has_capability(fac, access.VIEW_DASHBOARD)
    assert access.allowed_departments(member, access.EDIT_BOARD, depts) == {org_tree["A1"]}
    assert access.allowed_departments(member, access.VIEW_RESULTS, depts) == set()
    assert not access.has_capability(member, access.ADMIN)
    assert not access.has_capability(None, access.VIEW_BOARD)


def test_org_tree_move_rename_archive(db, org_tree):
    with pytest.raises(DomainError, match="move_cycle"):
        org.move(db, org_tree["A"], org_tree["A1"])
    org.move(db, org_tree["A2"], org_tree["B"])
    assert org.subtree_ids(org.all_departments(db), org_tree["B"]) == {org_tree["B"], org_tree["B1"], org_tree["A2"]}
    org.update(db, org_tree["A2"], "  Team   Nord ", 12)
    assert org.get(db, org_tree["A2"]).name == "Team Nord"
    org.set_archived(db, org_tree["A2"], True)
    assert org_tree["A2"] not in {d.id for d in org.all_departments(db, include_archived=False)}
    with pytest.raises(DomainError):
        org.create(db, "   ")
    with pytest.raises(DomainError):
        org.create(db, "X", headcount="mange")


def test_thresholds_never_below_three(db):
    with pytest.raises(DomainError):
        settings.set_thresholds(db, 2, 5)
    with pytest.raises(DomainError):
        settings.set_thresholds(db, 6, 5)
    settings.set_thresholds(db, 4, 8)
    assert (settings.min_answers(db), settings.min_comments(db)) == (4, 8)


def test_cookie_key_is_generated_once_and_stable(db, monkeypatch):
    monkeypatch.delenv("SERVICETJEK_COOKIE_KEY", raising=False)
    first = settings.cookie_key(db)
    assert len(first) >= 40 and settings.cookie_key(db) == first
    assert settings.cookie_key(db, "from-secrets") == "from-secrets"
    monkeypatch.setenv("SERVICETJEK_COOKIE_KEY", "from-env")
    assert settings.cookie_key(db) == "from-env"


def test_cookie_key_generated_once_under_concurrency(db, monkeypatch):
    import threading

    monkeypatch.delenv("SERVICETJEK_COOKIE_KEY", raising=False)
    keys, errors = [], []

    def first_visit():
        try:
            keys.append(settings.cookie_key(db))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_visit) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(set(keys)) == 1 and len(keys) == 16


def test_menu_labels_put_the_units_own_name_first(db):
    top = org.create(db, "Forvaltning")
    middle = org.create(db, "Afdeling", top)
    team = org.create(db, "Team Øst", middle)
    labels = org.menu_labels(org.all_departments(db))
    # A box too narrow for the whole label cuts the context, never the unit's name.
    assert labels == {top: "Forvaltning", middle: "Afdeling – Forvaltning", team: "Team Øst – Forvaltning › Afdeling"}
