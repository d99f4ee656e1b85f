from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def forget_provider_sign_in(sender, request, user, **kwargs):
    """Any login starts without the mark of an earlier provider login in the same browser: a
    password login must not inherit an ID-porten session's two-factor standing. The provider
    callback sets the mark again after its own login()."""
    if request is not None and hasattr(request, "session"):
        from .views import SESSION_KEY

        request.session.pop(SESSION_KEY, None)
