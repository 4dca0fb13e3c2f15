"""The accessibility statement: open without sign-in, in the menu, contact from a setting."""

import pytest
from streamlit.testing.v1 import AppTest

from servicetjek import settings
from servicetjek.errors import DomainError
from tests.test_pages import APP, login


def statement_text(at: AppTest) -> str:
    # md() escapes the dots and keeps the address from becoming a link (a word joiner before @).
    return " ".join(str(m.value) for m in at.markdown).replace("\\", "").replace("\u2060", "")


def test_statement_is_open_to_everyone_with_the_configured_contact(db, people):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "accessibility" in [link.proto.page for link in at.sidebar.get("page_link")]
    at.switch_page("pages/accessibility.py").run()
    assert not at.exception
    assert at.title[0].value == "Tilgængelighedserklæring"
    assert "Kontakt jeres administrator" in statement_text(at)
    settings.set_accessibility_contact(db, "  tilgaengelighed@kommune.dk ")
    at.switch_page("pages/accessibility.py").run()
    assert "tilgaengelighed@kommune.dk" in statement_text(at)
    at.session_state["lang"] = "en"
    at.switch_page("pages/accessibility.py").run()
    assert at.title[0].value == "Accessibility statement"


def test_every_role_has_the_statement_in_its_menu(db, people):
    for username in ("admin", "leder", "tovholder", "medlem"):
        at = login(db, username)
        assert "accessibility" in [link.proto.page for link in at.sidebar.get("page_link")], username


def test_admin_sets_the_contact_and_a_too_long_one_is_refused(db, people):
    at = login(db, "admin")
    at.switch_page("pages/admin_settings.py").run()
    at.text_input(key="accessibility_contact").input("Anna, tlf. 1234 5678")
    at.button(key="FormSubmitter:accessibility-Gem").click().run()
    assert settings.accessibility_contact(db) == "Anna, tlf. 1234 5678"
    with pytest.raises(DomainError):
        settings.set_accessibility_contact(db, "x" * (settings.MAX_CONTACT + 1))
