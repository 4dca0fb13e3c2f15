"""Newcomer details (issue 13): `make demo` prints a rating link on the port it serves."""

import re
import subprocess
from pathlib import Path

from servicetjek import demo
from tests.conftest import ENGINE

ROOT = Path(__file__).resolve().parents[1]


def test_make_demo_passes_its_port_to_the_printed_link_and_the_server():
    out = subprocess.run(["make", "-n", "demo", "PORT=8765"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    seed_line = next(line for line in out.splitlines() if "servicetjek.demo" in line)
    serve_line = next(line for line in out.splitlines() if "servicetjek.ui.serve" in line)
    assert "--reset" in seed_line and "--base-url http://localhost:8765" in seed_line
    assert "--server.port 8765" in serve_line


def test_demo_prints_the_rating_link_on_the_given_address(tmp_path, monkeypatch, capsys, request):
    target = request.getfixturevalue("pg_url") if ENGINE == "postgresql" else str(tmp_path / "demo.duckdb")
    monkeypatch.setenv("SERVICETJEK_DB", target)
    demo.main(["--base-url", "http://localhost:8765/"])
    demo.main(["--reset", "--base-url", "http://localhost:8765/"])  # wipes the first and builds anew
    out = capsys.readouterr().out
    assert "already has data" not in out and out.count("Open rating link:") == 2
    assert re.search(r"^Open rating link: http://localhost:8765/\?r=[\w-]{20,}$", out, re.M), out
    assert "8501" not in out
