"""Where the app's files are: a source checkout, or an installed package.

In a checkout streamlit_app.py, pages/ and content/ sit at the repo root beside
servicetjek/. An installed wheel carries them inside the package as servicetjek/_app/
(see pyproject.toml), because site-packages has no repo root.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_SHIPPED = PACKAGE_DIR / "_app"
INSTALLED = (_SHIPPED / "streamlit_app.py").is_file()
APP_ROOT = _SHIPPED if INSTALLED else PACKAGE_DIR.parent

MAIN_SCRIPT = APP_ROOT / "streamlit_app.py"
CONTENT_DIR = APP_ROOT / "content"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def default_data_dir() -> Path:
    """data/ of the checkout; for an installed package data/ under the working directory."""
    return Path.cwd() / "data" if INSTALLED else APP_ROOT / "data"
