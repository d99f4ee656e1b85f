from functools import cache

from rsportal.accounts import permissions


def roles(request):
    """`has_role` and `assesses` for the menu and the front page. Callables, so only templates that
    use them pay for the queries, and cached, so a page that asks several times pays once."""
    user = request.user

    @cache
    def has_role():
        # A signed-in person with a role who has given any second factor required.
        from rsportal.security.twofactor import must_verify

        return user.is_authenticated and not must_verify(user) and permissions.has_any_role(user)

    @cache
    def assesses():
        # The same people who must use two-factor login: seats in bodies, RHF and system administrators.
        from rsportal.security.twofactor import requires_two_factor

        return has_role() and requires_two_factor(user)

    return {"has_role": has_role, "assesses": assesses}
