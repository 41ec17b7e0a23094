"""`pip install .` ships a working app: the wheel holds the code and every file it reads."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA_DIRS = ("tracker/templates", "tracker/static", "tracker/fixtures")


def _why_no_offline_build() -> str | None:
    """Build offline (no isolation, no index): the environment's setuptools must do it alone."""
    if importlib.util.find_spec("setuptools") is None:
        return "setuptools is not installed; add setuptools>=70.1 to the dev extra and the lock"
    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    if (major, minor) < (70, 1) and importlib.util.find_spec("wheel") is None:
        return (
            f"setuptools {version('setuptools')} needs the wheel package to build wheels; "
            "add setuptools>=70.1 to the dev extra and the lock"
        )
    return None


def _source_files(folder: str, pattern: str = "*") -> set[str]:
    return {
        path.relative_to(REPO).as_posix()
        for path in (REPO / folder).rglob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    reason = _why_no_offline_build()
    if reason:
        pytest.skip(reason)
    # Build from a copy, so the checkout gets no build/ or egg-info folder. The copy keeps
    # tests/, benchmarks/ and the top-level templates/ and fixtures/ links, which must not
    # become packages.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "manage.py", "templates", "fixtures"):
        path = REPO / name
        if path.is_symlink():
            (source / name).symlink_to(path.readlink())
        else:
            shutil.copy2(path, source / name)
    for folder in ("config", "tracker", "tests", "benchmarks"):
        shutil.copytree(
            REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "--no-index", "--quiet", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = out.glob("tranche-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_the_templates_static_files_and_the_record(wheel_names: set[str]) -> None:
    for name in (
        "config/settings.py",
        "tracker/templates/base.html",
        "tracker/templates/tracker/overview.html",
        "tracker/templates/tracker/email/reminder.txt",
        "tracker/static/tracker/tranche.css",
        "tracker/fixtures/india_us.json",
        "tracker/record.schema.json",
    ):
        assert name in wheel_names
    for folder in DATA_DIRS:
        assert _source_files(folder) <= wheel_names, folder


def test_the_wheel_holds_every_module_of_config_and_tracker(wheel_names: set[str]) -> None:
    # A sub-package without __init__.py would import from a checkout but be left out here.
    for package in ("config", "tracker"):
        assert _source_files(package, "*.py") <= wheel_names, package


def test_the_wheel_installs_only_config_and_tracker(wheel_names: set[str]) -> None:
    top_level = {name.split("/")[0] for name in wheel_names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {
        "config",
        "tracker",
    }


def test_the_top_level_templates_and_fixtures_are_links_into_the_package() -> None:
    for name in ("templates", "fixtures"):
        link = REPO / name
        assert link.is_symlink(), name
        assert link.readlink() == Path("tracker") / name
        assert link.resolve() == (REPO / "tracker" / name).resolve()
