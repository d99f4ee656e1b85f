"""Issue 9, items 8, 9 and 11: malformed input, private caching and dropped database connections.

- A request that finds its persistent database connection dropped opens a new one (health checks).
"""

import time
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import connection

from . import factories as f


# --- dropped database connections ------------------------------------------------------------


def wsgi_get(path: str) -> tuple[int, bytes]:
    """A request through the WSGI application as a server sends it: unlike the test client, with
    request_started and request_finished, which is where Django checks and recycles connections."""
    from rsportal.wsgi import application

    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status = []
    result = application(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        body = b"".join(result)
    finally:
        result.close()
    return int(status[0].split()[0]), body


def terminate_backend(pid: int):
    """pg_terminate_backend from a connection of our own, as a restart or failover would, and wait
    until the backend is gone. Only this one connection: other runs' connections are left alone."""
    import psycopg

    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"], "port": db["PORT"], "password": db["PASSWORD"]}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not go away"
            time.sleep(0.05)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)  # committed data and autocommit, as in a server process
def test_first_request_after_the_connection_dropped_is_served():
    f.RHFFactory(code="HN", name="Helse Nord RHF")
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # persistent connections, as in production
    connection.close()  # a fresh connection, so its age cannot be what retires it below
    assert wsgi_get("/api/v1/rhf")[0] == 200
    pid = connection.connection.info.backend_pid  # kept open after the request (CONN_MAX_AGE)

    terminate_backend(pid)

    status, body = wsgi_get("/api/v1/rhf")
    assert status == 200, "the first request on the dropped connection failed"
    assert b"Helse Nord RHF" in body
    assert connection.connection.info.backend_pid != pid
