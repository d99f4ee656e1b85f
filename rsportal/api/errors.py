"""The error answers every operation of the open API declares in its OpenAPI document, and
the pattern its text parameters must match, so clients (and the schema tests) know them."""

from ninja import Schema

from rsportal.security.middleware import CONTROL_CHARACTERS

# No control characters, the same set the whole site refuses (MalformedRequestMiddleware). The
# middleware answers first; the pattern keeps them out should a request get past it.
PLAIN_TEXT = f"^[^{CONTROL_CHARACTERS}]*$"


class ErrorOut(Schema):
    detail: str


class ValidationIssue(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ValidationIssue]


def responses(ok, *, params: bool = True, not_found: bool = False) -> dict:
    """The 200 schema plus the errors the operation can answer: 400 for control characters or bytes
    that are not UTF-8 anywhere in the query string (any operation), 422 for a parameter that fails
    validation (operations with parameters), 404 for an unknown code, id or region."""
    result = {200: ok, 400: ErrorOut}
    if params:
        result[422] = ValidationErrorOut
    if not_found:
        result[404] = ErrorOut
    return result
