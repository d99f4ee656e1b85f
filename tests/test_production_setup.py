"""The production set-up in deploy/: the cache chosen by RSPORTAL_CACHE_URL, and the server and
proxy settings that must agree with the application's own limits. `make smoke` starts it all."""

import re
import runpy
from pathlib import Path

import pytest

from rsportal.core import uploads

from .test_security_deploy import ROOT, run_manage

SHOW_CACHE = "from django.conf import settings; c = settings.CACHES['default']; print(c['BACKEND'], c.get('LOCATION'), c.get('KEY_PREFIX'))"


@pytest.mark.parametrize(
    "extra_env, expected",
    [
        ({"RSPORTAL_CACHE_URL": "redis://127.0.0.1:6379/3"}, "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/3 rsportal"),
        ({"RSPORTAL_CACHE_URL": "redis://cache:6379/0", "RSPORTAL_CACHE_KEY_PREFIX": "hv"}, "django.core.cache.backends.redis.RedisCache redis://cache:6379/0 hv"),
        ({}, "django.core.cache.backends.locmem.LocMemCache rsportal None"),
    ],
    ids=["redis", "redis-with-prefix", "local-memory"],
)
def test_the_cache_is_redis_exactly_when_a_cache_url_is_set(tmp_path, extra_env, expected):
    result = run_manage("shell", "--no-imports", "-c", SHOW_CACHE, extra_env=extra_env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_documents_are_built_in_the_request_only_when_debugging(tmp_path):
    show = "from django.conf import settings; print(settings.RSPORTAL_BUILD_DOCUMENTS_INLINE)"
    assert run_manage("shell", "--no-imports", "-c", show, tmp_path=tmp_path).stdout.strip().endswith("False")
    debugging = run_manage("shell", "--no-imports", "-c", show, extra_env={"RSPORTAL_DEBUG": "true"}, tmp_path=tmp_path)
    assert debugging.stdout.strip().endswith("True")


def test_gunicorn_runs_threads_and_logs_no_query_strings():
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert config["wsgi_app"] == "rsportal.wsgi:application"
    assert config["worker_class"] == "gthread" and config["threads"] >= 2 and config["workers"] >= 2
    assert config["graceful_timeout"] > 0 and config["timeout"] >= config["graceful_timeout"]
    # %(r)s is the request line and %(q)s the query string; %(f)s, the referrer, carries the previous page's.
    log_format = config["access_log_format"]
    assert "%(U)s" in log_format and not re.search(r"%\((r|q|f)\)s", log_format)


def test_nginx_passes_the_largest_form_and_is_the_one_trusted_proxy():
    conf = (ROOT / "deploy" / "nginx" / "rsportal.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert size and int(size.group(1)) * 2**20 > uploads.MAX_REQUEST_BYTES
    # RSPORTAL_PROXY_COUNT=1 trusts the last X-Forwarded-For entry: nginx must set it, not append to the client's.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    assert "RSPORTAL_PROXY_COUNT=1" in (ROOT / "deploy" / "README.md").read_text()
    for unit in ("rsportal.service", "rsportal-notifications.timer", "rsportal-reminders.timer", "rsportal-documents.timer"):
        assert (ROOT / "deploy" / "systemd" / unit).is_file(), unit
