"""Single sign-on (OIDC through Streamlit's st.login): invitations and account binding.

An admin invites a person by e-mail with a role and departments. The first time someone
signs in at the identity provider with that e-mail, the account is bound to the provider's
subject (issuer + sub), and from then on the subject alone identifies them, so a later
change of e-mail at the provider cannot take over someone else's invitation. Whoever the
admin has not invited gets no account. Deactivation works as for password users: the
account is looked up, and must be active, on every run.
"""

from __future__ import annotations

import re

from servicetjek import users
from servicetjek.db import Database
from servicetjek.text import line

NO_PASSWORD = "!sso"  # not a bcrypt hash: password sign-in can never match it
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


class SsoError(users.UserError):
    pass


def clean_email(email: str | None) -> str:
    email = line(email, 256, too_long="sso.email_invalid", error=SsoError).lower()  # the one text rule
    if not EMAIL_RE.match(email):
        raise SsoError("sso.email_invalid")
    return email


def invite(db: Database, username: str, name: str, email: str, role: str,
           department_ids: list[int] | tuple[int, ...] = ()) -> users.User:
    """An account that only single sign-on with this e-mail can open."""
    return users.create(db, username, name, None, role, department_ids, password_hash=NO_PASSWORD,
                        email=clean_email(email))


def email_of(db: Database, username: str) -> str | None:
    row = db.query_one("SELECT email FROM users WHERE username = ?", [username])
    return row[0] if row else None


def sign_in(db: Database, issuer: str | None, subject: str | None, email: str | None,
            email_verified: object = None) -> users.User:
    """The active account for this identity, binding an invitation on first use; else SsoError."""
    if not subject:
        raise SsoError("sso.no_identity")
    key = f"{issuer or ''}|{subject}"
    row = db.query_one("SELECT username FROM users WHERE sso_subject = ?", [key])
    if row is None:
        if email_verified is False or not email:
            raise SsoError("sso.not_invited")
        try:
            email = clean_email(email)
        except SsoError:
            raise SsoError("sso.not_invited") from None

        def bind(cur):
            found = cur.execute("SELECT username FROM users WHERE email = ? AND sso_subject IS NULL",
                                [email]).fetchone()
            if found is None:
                raise SsoError("sso.not_invited")
            cur.execute("UPDATE users SET sso_subject = ? WHERE username = ?", [key, found[0]])
            return found

        row = db.transaction(bind)
    user = users.active_user(db, row[0])
    if user is None:
        raise SsoError("sso.deactivated")
    return user
