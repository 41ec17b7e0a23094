"""The clients and validators the conformance suite runs, where they are, and their versions.

Each is pinned and installed by `.ci/run`: npm packages by tests/conformance/js/package.json
and its lock (`npm ci --prefix tests/conformance/js`), Java and jing from Debian's packages,
Python ones through the dev extras. Where one is missing, the tests that need it skip and
say which tool is absent and how to install it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
JS = HERE / "js"
MODULES = JS / "node_modules"
NPM_CI = "npm ci --prefix tests/conformance/js"


def npm_package(name: str) -> Path:
    """The installed npm package's folder, or a skip saying how to install it."""
    folder = MODULES / name
    if not (folder / "package.json").exists():
        pytest.skip(f"npm package {name} is not installed: run `{NPM_CI}`")
    if shutil.which("node") is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    return folder


def npm_bin(package: str, command: str) -> Path:
    npm_package(package)
    return MODULES / ".bin" / command


def program(name: str, apt: str) -> str:
    """A program from Debian's packages, or a skip saying which package brings it."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {apt})")
    return found


def vnu_jar() -> Path:
    jar = npm_package("vnu-jar") / "build" / "dist" / "vnu.jar"
    program("java", "default-jre-headless")
    if not jar.exists():
        pytest.skip(f"{jar} is missing: run `{NPM_CI}`")
    return jar


def node(script: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `script` (JavaScript) with node, from the folder whose node_modules it needs."""
    return subprocess.run(
        ["node", "-e", script, "--", *args],
        cwd=JS,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _npm_version(name: str) -> str:
    try:
        return str(json.loads((MODULES / name / "package.json").read_text())["version"])
    except (OSError, KeyError, ValueError):
        return "absent"


def _python_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _first_line(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        return "absent"
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def versions() -> list[str]:
    """One line per tool, printed at the top of every conformance run."""
    return [
        f"ical.js {_npm_version('ical.js')}",
        f"standardwebhooks (npm) {_npm_version('standardwebhooks')}",
        f"@redocly/cli {_npm_version('@redocly/cli')}",
        f"vnu-jar {_npm_version('vnu-jar')}",
        f"axe-core {_axe_version()}",
        f"node {_first_line(['node', '--version'])}",
        f"java {_first_line(['java', '-version'])}",
        f"jing {_jing_version()}",
        f"vobject {_python_version('vobject')}",
        f"feedparser {_python_version('feedparser')}",
        f"schemathesis {_python_version('schemathesis')}",
        f"openapi-python-client {_python_version('openapi-python-client')}",
        f"playwright {_python_version('playwright')}",
    ]


def _axe_version() -> str:
    package = HERE.parent / "browser" / "axe" / "node_modules" / "axe-core" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, KeyError, ValueError):
        return "absent"


def _jing_version() -> str:
    if shutil.which("jing") is None:
        return "absent"
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "jing"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout.strip() or "present"
