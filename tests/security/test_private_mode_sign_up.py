"""Issue 22, finding 3: a private tracker (TRACKER_PUBLIC=false) has no self sign-up unless
TRACKER_SIGNUP=true says so explicitly, and `check --deploy` warns about that combination."""

from __future__ import annotations

from tests.security.conftest import manage
from tests.security.test_safe_defaults import PRODUCTION

PRINT_MODES = "from django.conf import settings as s; print(s.TRACKER_PUBLIC, s.TRACKER_SIGNUP)"


def modes(tmp_path, **env: str) -> list[str]:
    result = manage(tmp_path / "var", "shell", "--no-imports", "-c", PRINT_MODES, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_private_tracker_has_no_sign_up_unless_it_is_switched_on_explicitly(tmp_path):
    assert modes(tmp_path) == ["True", "True"]
    assert modes(tmp_path, TRACKER_PUBLIC="false") == ["False", "False"]
    assert modes(tmp_path, TRACKER_PUBLIC="false", TRACKER_SIGNUP="true") == ["False", "True"]
    assert modes(tmp_path, TRACKER_SIGNUP="false") == ["True", "False"]


def test_check_deploy_warns_about_a_private_tracker_with_sign_up_on(tmp_path):
    private = {**PRODUCTION, "TRACKER_PUBLIC": "false"}
    quiet = manage(tmp_path / "var", "check", "--deploy", "--fail-level", "WARNING", env=private)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr

    both = {**private, "TRACKER_SIGNUP": "true"}
    loud = manage(tmp_path / "var", "check", "--deploy", "--fail-level", "WARNING", env=both)
    assert loud.returncode != 0
    assert "tracker.W002" in loud.stderr
    assert "anyone can sign up" in loud.stderr
