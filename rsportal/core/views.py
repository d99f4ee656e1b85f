from django.shortcuts import render

from rsportal.accounts import permissions


def home(request):
    """Public landing page; what a signed-in person can do depends on their roles."""
    return render(request, "core/home.html", {"has_role": permissions.has_any_role(request.user)})
