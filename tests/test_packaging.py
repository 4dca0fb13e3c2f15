"""Packaging: the wheel installs a working `servicetjek` command; dependencies are declared and locked."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import venv
from pathlib import Path

import pytest

from bench import burst
from bench.burst import free_port
from tests.conftest import run_async

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _in_file(path: Path) -> dict[str, str]:
    """name -> pinned requirement line of a requirements .in file (-r lines skipped)."""
    lines = [line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return {_name(line): line for line in lines if line and not line.startswith("-")}


def _lock(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a hashed lock file."""
    found = {}
    for block in re.split(r"\n(?=\S)", path.read_text(encoding="utf-8")):
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block)
        if match:
            found[_name(match[1])] = (match[2].rstrip(" \\;"), block.count("--hash=sha256:"))
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the built wheel installed; its dependencies come from this test's own env.

    The wheel is built from a copy of the source without network (setuptools is in the dev
    lock), and the venv sees our site-packages through a .pth file, so nothing is downloaded.
    """
    work = tmp_path_factory.mktemp("packaging")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", ".cache", "data", "tests", "bench", "artifacts", "__pycache__", "*.egg-info", "build"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(work / "dist"), str(source)], check=True, capture_output=True)
    wheel = next((work / "dist").glob("servicetjek-*.whl"))
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    str(wheel)], check=True, capture_output=True)
    elsewhere = work / "elsewhere"  # not the checkout: the command must not lean on our sources
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "SERVICETJEK_DB": str(elsewhere / "data" / "app.duckdb")}
    return env_dir, elsewhere, env


def test_installed_command_lists_every_subcommand(installed):
    env_dir, cwd, env = installed
    result = subprocess.run([env_dir / "bin" / "servicetjek", "--help"], cwd=cwd, env=env,
                            capture_output=True, text=True, check=True)
    for command in ("serve", "migrate", "demo", "backup", "restore"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), result.stdout


def test_installed_package_carries_the_app_and_migrates(installed):
    env_dir, cwd, env = installed
    where = subprocess.run(
        [env_dir / "bin" / "python", "-c",
         "from servicetjek import paths; print(paths.INSTALLED, paths.MAIN_SCRIPT, paths.CONTENT_DIR)"],
        cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where[0] == "True" and str(env_dir) in where[1], where
    shipped = Path(where[1]).parent
    assert {p.name for p in (shipped / "pages").glob("*.py")} == {p.name for p in (ROOT / "pages").glob("*.py")}
    assert sorted(p.relative_to(shipped).as_posix() for p in Path(where[2]).rglob("*.toml")) == sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "content").rglob("*.toml"))
    assert (shipped / ".streamlit" / "config.toml").is_file()
    result = subprocess.run([env_dir / "bin" / "servicetjek", "migrate"], cwd=cwd, env=env,
                            capture_output=True, text=True, check=True)
    assert "0001_initial.sql" in result.stdout


def test_installed_command_serves_the_app(installed):
    """`servicetjek serve` from the wheel finds its frame, pages, content and config: a real session renders."""
    env_dir, cwd, env = installed
    port = free_port()
    proc = subprocess.Popen([env_dir / "bin" / "servicetjek", "serve", "--port", str(port), "--address", "127.0.0.1"],
                            cwd=cwd, env=env | {"SERVICETJEK_NGINX": "none"},  # Streamlit itself: fewer moving parts
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while not _healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(proc.stderr.read().decode()[-3000:])
            time.sleep(0.2)  # polling the health URL, not waiting a fixed time
        session = burst.Session(f"ws://127.0.0.1:{port}/_stcore/stream", "")
        run_async(session.connect_and_render())
        assert not session.exception
        assert "guide" in session.pages and session.texts  # the first-admin page, with the guide beside it
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_runtime_dependencies_are_declared_pinned_and_hashed():
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    pinned = _in_file(ROOT / "requirements.in")
    assert declared == set(pinned), "pyproject dependencies and requirements.in must name the same packages"
    assert all("==" in line for line in pinned.values())
    runtime = _lock(ROOT / "requirements.lock")
    assert all(hashes for _version, hashes in runtime.values())
    for name, line in pinned.items():
        assert runtime[name][0] == line.split("==")[1].strip()
    dev_tools = {"pytest", "hypothesis", "ruff", "playwright"}
    assert not dev_tools & set(runtime), "test tools do not belong in the production lock"
    dev = _lock(ROOT / "requirements-dev.lock")
    assert all(hashes for _version, hashes in dev.values())
    assert dev_tools <= set(dev)
    assert {name: v for name, (v, _h) in runtime.items()} == {name: dev[name][0] for name in runtime}


def _third_party_imports() -> set[str]:
    files = [*(ROOT / "servicetjek").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "streamlit_app.py"]
    names = set()
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        # serve.warm_up only preloads libraries that are declared anyway.
        preloads = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "warm_up"
                    for n in ast.walk(f)}
        for node in ast.walk(tree):
            if id(node) in preloads:
                continue
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "servicetjek"}


def test_every_imported_library_is_a_declared_dependency():
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    undeclared = {}
    for module in _third_party_imports():
        dists = {_name(d) for d in providers.get(module, [module])}
        if not dists & declared:
            undeclared[module] = sorted(dists)
    assert not undeclared, f"imported but not declared in pyproject/requirements.in: {undeclared}"


def test_every_subpackage_is_listed_for_the_wheel():
    """Packages are listed explicitly in pyproject.toml: a new servicetjek/<sub>/ must be added there."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "servicetjek").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
