"""Single sign-on in Chromium against a real OIDC provider on loopback (issue 15).

oidc-provider-mock is a real OpenID provider (discovery, authorization code flow, signed
ID tokens); its sign-in form lets the test choose who signs in.
"""

import os
import re
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import httpx
import oidc_provider_mock
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, COOKIE_KEY, ROOT, free_port
from tests.e2e.test_journeys import TIMEOUT, shot


@pytest.fixture(scope="module")
def provider():
    with oidc_provider_mock.run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        for sub, claims in (("anna", {"email": "anna@example.org", "email_verified": True, "name": "Anna A."}),
                            ("bo", {"email": "bo@example.org", "email_verified": True, "name": "Bo B."})):
            response = httpx.put(f"{url}/users/{quote(sub)}", json=claims)
            assert response.status_code == 204
        yield url


@pytest.fixture(scope="module")
def sso_server(provider, tmp_path_factory):
    from servicetjek import org, sso
    from servicetjek.db import Database

    folder = tmp_path_factory.mktemp("sso")
    path = folder / "sso.duckdb"
    db = Database(path)
    team = org.create(db, "Borgerservice", headcount=12)
    sso.invite(db, "anna", "Anna Admin", "anna@example.org", "admin")
    sso.invite(db, "tina", "Tina Tovholder", "tina@example.org", "facilitator", [team])
    db.close()
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(f'''
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "sso-e2e-cookie-secret-{'s' * 32}"
client_id = "servicetjek"
client_secret = "servicetjek-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
client_kwargs = {{ scope = "openid email profile" }}
''')
    env = os.environ | {"SERVICETJEK_DB": str(path), "SERVICETJEK_COOKIE_KEY": COOKIE_KEY,
                        "SERVICETJEK_SIGNIN": "sso"}
    log = open(ARTIFACTS / "sso-server.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen([sys.executable, "-m", "servicetjek.ui.serve", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--secrets.files", str(secrets)],
                            cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert time.time() < deadline and proc.poll() is None, "the SSO server did not start"
            time.sleep(0.3)
    yield {"url": f"http://127.0.0.1:{port}", "db": path}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def sign_in_at_provider(page, url: str, subject: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_role("button", name="Log ind med din organisations konto").click()
    page.wait_for_url(re.compile(r"localhost:\d+/oauth2/authorize"), timeout=TIMEOUT)
    page.locator("input[name='sub']").first.fill(subject)
    page.locator("input[name='sub']").first.press("Enter")
    page.wait_for_url(re.compile(r"127\.0\.0\.1"), timeout=TIMEOUT)


def test_invited_admin_signs_in_gets_the_role_and_signs_out(sso_server, browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{sso_server['url']}/login")
    expect(page.get_by_role("button", name="Log ind med din organisations konto")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("Adgangskode")).to_have_count(0)  # one setting: no password form
    sign_in_at_provider(page, sso_server["url"], "anna")
    expect(page.get_by_text("Logget ind som Anna Admin (administrator)")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("link", name="Brugere")).to_be_visible(timeout=TIMEOUT)  # the admin role applied
    shot(page, "sso-01-admin-signed-in")
    copied = [c for c in page.context.cookies() if c["name"].startswith("_streamlit")]
    assert copied  # Streamlit's own identity cookie
    page.get_by_role("button", name="Log ud").click()
    # Streamlit ends the session at the provider too (RP-initiated logout); the mock asks first.
    page.wait_for_url(re.compile(r"localhost:\d+/oauth2/end_session"), timeout=TIMEOUT)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(r"127\.0\.0\.1"), timeout=TIMEOUT)
    expect(page.get_by_role("link", name="Log ind")).to_be_visible(timeout=TIMEOUT)
    page.goto(f"{sso_server['url']}/")
    expect(page.get_by_role("link", name="Log ind")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("Logget ind som"))).to_have_count(0)
    page.context.close()
    # The identity cookie copied before Log ud, replayed in another browser: refused.
    replay = browser.new_context(viewport={"width": 1280, "height": 900})
    replay.add_cookies(copied)
    page = replay.new_page()
    page.goto(f"{sso_server['url']}/admin_users")
    expect(page.get_by_text(re.compile("Du er logget ud af Servicetjek"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("Logget ind som"))).to_have_count(0)
    expect(page.get_by_text("Tilføj bruger")).to_have_count(0)
    shot(page, "sso-03-replayed-identity-after-logout")
    replay.close()


def test_someone_not_invited_is_told_to_ask_the_administrator(sso_server, browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_at_provider(page, sso_server["url"], "bo")
    expect(page.get_by_text(re.compile("Spørg din administrator om at blive inviteret"))).to_be_visible(
        timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("Logget ind som"))).to_have_count(0)
    expect(page.get_by_role("link", name="Brugere")).to_have_count(0)
    shot(page, "sso-02-not-invited")
    page.context.close()


def test_a_user_the_provider_does_not_know_gets_no_account(sso_server, browser):
    # The provider has no claims for this subject (it makes up an e-mail from the name typed).
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_at_provider(page, sso_server["url"], "ghost")
    expect(page.get_by_text(re.compile("Spørg din administrator"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile("Logget ind som"))).to_have_count(0)
    page.context.close()
