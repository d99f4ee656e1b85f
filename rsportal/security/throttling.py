from django.conf import settings


def client_ip(request) -> str:
    """The address django-axes locks out. Behind RSPORTAL_PROXY_COUNT reverse proxies the client is
    the entry that many places from the right of X-Forwarded-For: entries further left are set by
    the client itself and could be forged to dodge the lockout."""
    count = settings.RSPORTAL_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
