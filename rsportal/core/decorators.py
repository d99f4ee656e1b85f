from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from rsportal.accounts import permissions

from .request_memo import memo_for


def role_required(view):
    """Signed in and holding at least one role; outsiders get 403, anonymous users the login page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with memo_for(request):
            if not permissions.has_any_role(request.user):
                raise PermissionDenied(_("Du har ingen rolle i RS-portalen. Kontakt sekretariatet i ditt helsefellesskap."))
            return view(request, *args, **kwargs)

    return wrapper
