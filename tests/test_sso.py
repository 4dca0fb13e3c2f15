"""Single sign-on accounts (issue 15): invitations by e-mail, binding, refusal."""

import pytest

from servicetjek import sso, users
from servicetjek.errors import DomainError
from tests.conftest import PASSWORD

ISSUER = "https://login.example.org"


def test_an_invitation_is_bound_at_the_first_sign_in_and_then_by_subject(db):
    sso.invite(db, "anna", "Anna Admin", " Anna@Example.org ", "admin")
    user = sso.sign_in(db, ISSUER, "sub-anna", "anna@example.org", True)
    assert user.username == "anna" and user.role == "admin"
    # Later the subject alone counts: a changed e-mail at the provider still signs Anna in ...
    assert sso.sign_in(db, ISSUER, "sub-anna", "anna.new@example.org").username == "anna"
    # ... and someone else who now claims Anna's e-mail does not get her account.
    with pytest.raises(DomainError, match="sso.not_invited"):
        sso.sign_in(db, ISSUER, "sub-mallory", "anna@example.org", True)


def test_people_nobody_invited_are_refused(db):
    sso.invite(db, "anna", "Anna", "anna@example.org", "member")
    for subject, email, verified in (("sub-bo", "bo@example.org", True), ("sub-x", None, None),
                                     ("sub-y", "anna@example.org", False)):  # unverified e-mail
        with pytest.raises(DomainError, match="sso.not_invited"):
            sso.sign_in(db, ISSUER, subject, email, verified)
    with pytest.raises(DomainError, match="sso.no_identity"):
        sso.sign_in(db, ISSUER, None, "anna@example.org")


def test_deactivation_works_for_sso_users(db):
    users.create(db, "admin", "Admin", PASSWORD, "admin")
    sso.invite(db, "anna", "Anna", "anna@example.org", "member")
    assert sso.sign_in(db, ISSUER, "sub-anna", "anna@example.org")
    users.update(db, "anna", "Anna", "member", [], active=False)
    with pytest.raises(DomainError, match="sso.deactivated"):
        sso.sign_in(db, ISSUER, "sub-anna", "anna@example.org")


def test_an_invited_account_has_no_password_to_guess(db):
    sso.invite(db, "anna", "Anna", "anna@example.org", "member")
    for guess in ("!sso", "", "anna@example.org"):
        with pytest.raises(DomainError):
            users.verify_login(db, "anna", guess or "x", client="c")


def test_invitation_rules(db):
    sso.invite(db, "anna", "Anna", "anna@example.org", "member")
    with pytest.raises(DomainError, match="email_taken"):
        sso.invite(db, "anna2", "Anna To", "ANNA@example.org", "member")
    with pytest.raises(DomainError, match="email_invalid"):
        sso.invite(db, "bo", "Bo", "not-an-email", "member")
    assert users.get(db, "anna2") is None and users.get(db, "bo") is None


# --- pages in SSO mode -----------------------------------------------------------------------

def test_sso_mode_has_no_password_form_and_explains_missing_configuration(db, people, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_pages import APP

    monkeypatch.setenv("SERVICETJEK_SIGNIN", "sso")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/login.py").run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key in ("login_username", "login_password")]
    # Without [auth] in secrets.toml the page says what is missing (the browser test has it set up).
    assert "[auth] mangler" in at.error[0].value


def test_admin_invites_by_email_in_sso_mode(db, people, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from servicetjek.ui import auth
    from tests.test_pages import APP

    def signed_in_through_sso():  # what a successful st.login leaves behind, without a provider
        user = users.get(db, "admin")
        st.session_state.update(username=user.username, name=user.name, authentication_status=True)
        return user

    monkeypatch.setenv("SERVICETJEK_SIGNIN", "sso")
    monkeypatch.setattr(auth, "_sso_user", signed_in_through_sso)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/admin_users.py").run()
    assert not at.exception
    assert not [p for p in at.sidebar.markdown if "Skift adgangskode" in p.value]
    at.text_input(key="add_name").input("Ida Inviteret")
    at.text_input(key="add_username").input("ida")
    at.text_input(key="add_email").input("Ida@Example.org")
    at.button(key="FormSubmitter:add_user-Inviter bruger").click().run()
    assert not at.exception and at.success
    assert sso.email_of(db, "ida") == "ida@example.org"
    assert sso.sign_in(db, ISSUER, "sub-ida", "ida@example.org", True).username == "ida"


# --- SSO sign-ins that can be ended ---------------------------------------------------------

def test_an_sso_sign_in_counts_until_logout_and_a_replayed_identity_is_refused(db):
    from datetime import UTC, datetime, timedelta

    from servicetjek import sessions

    sso.invite(db, "anna", "Anna", "anna@example.org", "member")
    now = datetime(2026, 11, 27, 8, 0)
    iat = now.replace(tzinfo=UTC).timestamp()
    identity = sessions.sso_identity(ISSUER, "sub-anna", iat)
    assert sessions.sso_counts(db, "anna", identity, iat, now=now)  # just back from the provider
    later = now + timedelta(hours=2)
    assert sessions.sso_counts(db, "anna", identity, iat, now=later)  # another tab, a reload
    sessions.end_sso(db, identity)  # Log ud
    assert not sessions.sso_counts(db, "anna", identity, iat, now=later)  # a copied cookie, replayed
    assert not sessions.sso_counts(db, "anna", identity, iat, now=now + timedelta(minutes=1))
    # A new sign-in at the provider (a new ID token) counts again.
    fresh = (later.replace(tzinfo=UTC)).timestamp()
    assert sessions.sso_counts(db, "anna", sessions.sso_identity(ISSUER, "sub-anna", fresh), fresh, now=later)


def test_an_sso_sign_in_ends_after_a_working_day_and_with_a_role_change(db):
    from datetime import UTC, datetime, timedelta

    from servicetjek import sessions

    users.create(db, "admin", "Admin", PASSWORD, "admin")
    sso.invite(db, "anna", "Anna", "anna@example.org", "member")
    now = datetime(2026, 11, 27, 8, 0)
    iat = now.replace(tzinfo=UTC).timestamp()
    identity = sessions.sso_identity(ISSUER, "sub-anna", iat)
    assert sessions.sso_counts(db, "anna", identity, iat, now=now)
    # An identity cookie older than a working day: the provider is asked again.
    assert not sessions.sso_counts(db, "anna", identity, iat, now=now + sessions.LIFETIME)
    # Never seen fresh (a stolen old cookie, or no issue time at all): refused.
    assert not sessions.sso_counts(db, "anna", "other", iat, now=now + timedelta(minutes=10))
    assert not sessions.sso_counts(db, "anna", "none", None, now=now)
    identity2 = sessions.sso_identity(ISSUER, "sub-anna", iat + 60)
    assert sessions.sso_counts(db, "anna", identity2, iat + 60, now=now + timedelta(minutes=2))
    users.update(db, "anna", "Anna", "facilitator", [], True)
    assert not sessions.sso_counts(db, "anna", identity2, iat + 60, now=now + timedelta(minutes=30))
