"""Answers to permission questions kept for the rest of one read-only request.

A page asks the same question several times: the view whether the user may open the call, the
navigation which links to show, the ranking which scores to show. Each answer is a few queries.
role_required opens a memo for a GET or HEAD request, and the functions decorated with
`memoized` answer from it after the first time. Nothing is kept across requests, and a request
that writes (POST) keeps nothing at all: its own change could alter the answer midway.
"""

import contextlib
from contextvars import ContextVar
from functools import wraps

_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


@contextlib.contextmanager
def memo_for(request):
    if request.method not in ("GET", "HEAD") or _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(function):
    """Keep the answer for the arguments' primary keys (model instances) or values for the request."""

    @wraps(function)
    def wrapper(*args):
        memo = _memo.get()
        if memo is None:
            return function(*args)
        key = (function.__qualname__, *((type(a).__name__, a.pk) if hasattr(a, "pk") else a for a in args))
        if key not in memo:
            memo[key] = function(*args)
        return memo[key]

    return wrapper
