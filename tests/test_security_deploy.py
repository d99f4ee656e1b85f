"""`manage.py check --deploy` must be clean with a production configuration. Runs in a
subprocess because settings are read from the environment once, at start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "RSPORTAL_DEBUG": "false",
    # 50+ random-looking characters, as the check demands; never used for anything real.
    "RSPORTAL_SECRET_KEY": "k7Qz-deploy-check-only-9fT2xLw8pR4vN6mB1cY3hJ5gD0sA7eU2iO9qW4zX",
    "RSPORTAL_ALLOWED_HOSTS": "rsportal.example.no",
}


def run_manage(*args, extra_env=None, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSPORTAL_")}
    env.update(PRODUCTION, RSPORTAL_DATA_DIR=str(tmp_path), **(extra_env or {}))
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "extra_env",
    [
        {},
        # With OpenID Connect switched on (nothing is fetched from the provider at start-up).
        {
            "RSPORTAL_OIDC_ISSUER": "https://login.example.no",
            "RSPORTAL_OIDC_CLIENT_ID": "rsportal",
            "RSPORTAL_OIDC_CLIENT_SECRET": "not-a-real-secret",
        },
        # With the shared cache of deploy/README.md (nothing connects to Redis at start-up).
        {"RSPORTAL_CACHE_URL": "redis://127.0.0.1:6379/0"},
    ],
    ids=["local-login", "with-oidc", "with-redis-cache"],
)
def test_deploy_check_is_clean_in_production(tmp_path, extra_env):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=extra_env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage("check", extra_env={"RSPORTAL_SECRET_KEY": ""}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "RSPORTAL_SECRET_KEY must be set" in result.stderr
