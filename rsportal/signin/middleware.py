class StrongSignInMiddleware:
    """A session signed in through ID-porten at idporten-loa-substantial or higher has proved a
    second factor (the person's electronic ID), so it counts as verified like a TOTP code: such
    users are not asked for a code. After django-otp's OTPMiddleware, which gives request.user
    its is_verified()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .views import SESSION_KEY

        info = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if info and info.get("strong") and request.user.is_authenticated and request.user.pk == info.get("user"):
            request.user.is_verified = lambda: True
            request.user.strong_sign_in = True
        return self.get_response(request)
