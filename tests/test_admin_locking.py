"""Optimistic locking in the Django admin: two administrators editing one object."""

import re
from html.parser import HTMLParser

from rsportal.applications.models import Call
from rsportal.registry.models import Municipality



def seen(response) -> str:
    return re.search(r'name="_seen_version" value="([0-9a-f]+)"', response.content.decode()).group(1)


class _Form(HTMLParser):
    """The values a browser would post from the admin's change form (inlines included)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and "__prefix__" not in name and a.get("type") not in ("submit", "button"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            else:
                self.data[name] = a.get("value", "")
        elif tag == "select" and name and "__prefix__" not in name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # As a browser does: the newline Django writes after <textarea> is not part of the value.
            self.data[self._textarea] = self.data[self._textarea].removeprefix("\n")
            self._textarea = None


def form_data(response, **changes):
    parser = _Form()
    parser.feed(response.content.decode())
    data = {k: v for k, v in parser.data.items() if k not in ("csrfmiddlewaretoken", "robots", "viewport")}
    data.update(changes)
    return data


def test_a_stale_save_is_refused_and_keeps_what_was_typed(login, world, personas):
    url = f"/admin/registry/municipality/{world.harstad.pk}/change/"
    first, second = login(personas.sysadmin), login(personas.sysadmin)
    first_page, second_page = first.get(url), second.get(url)
    token = seen(first_page)
    assert seen(second_page) == token

    response = first.post(url, form_data(first_page, name="Harstad kommune"))
    assert response.status_code == 302
    response = second.post(url, form_data(second_page, name="Hárstták"))

    page = response.content.decode()
    assert response.status_code == 200 and "Noen andre har lagret endringer" in page
    assert 'value="Hárstták"' in page  # the second person's input is still there
    assert Municipality.objects.get(pk=world.harstad.pk).name == "Harstad kommune"
    # The form now carries the current version: saving again is a deliberate overwrite.
    assert seen(response) != token
    response = second.post(url, form_data(response, name="Hárstták"))
    assert response.status_code == 302 and Municipality.objects.get(pk=world.harstad.pk).name == "Hárstták"


def test_a_post_without_the_version_is_refused_for_an_existing_object(login, world, personas):
    url = f"/admin/registry/municipality/{world.harstad.pk}/change/"
    client = login(personas.sysadmin)
    data = form_data(client.get(url), name="Uten versjon")
    del data["_seen_version"]
    response = client.post(url, data)
    assert response.status_code == 200 and Municipality.objects.get(pk=world.harstad.pk).name != "Uten versjon"


def test_adding_needs_no_version_and_the_call_form_carries_one(login, world, personas):
    client = login(personas.sysadmin)
    add = "/admin/registry/municipality/add/"
    response = client.post(add, form_data(client.get(add), number="9876", name="Ny kommune", county=world.tromso.county_id))
    assert response.status_code == 302 and Municipality.objects.filter(number="9876").exists()
    from rsportal.funding.models import Pot

    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    call = Call.objects.create(pot=pot, title="Utlysning", purpose="-")
    assert 'name="_seen_version"' in client.get(f"/admin/applications/call/{call.pk}/change/").content.decode()


def test_a_change_to_an_inline_row_makes_the_other_save_stale(login, world, personas):
    """The criteria are edited on the call's page: a weight changed by one administrator is
    not silently put back by another who saves the page they opened before."""
    from rsportal.applications.criteria import add_default_criteria
    from rsportal.funding.models import Pot

    call = Call.objects.create(pot=Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet"), title="Utlysning", purpose="-")
    add_default_criteria(call)
    url = f"/admin/applications/call/{call.pk}/change/"
    first, second = login(personas.sysadmin), login(personas.sysadmin)
    first_page, second_page = first.get(url), second.get(url)
    assert seen(first_page) == seen(second_page)
    weight = "criteria-0-weight"
    assert weight in form_data(first_page)

    assert first.post(url, form_data(first_page, **{weight: "5"})).status_code == 302
    assert call.criteria.order_by("order", "pk").first().weight == 5

    response = second.post(url, form_data(second_page, title="Utlysning 2027"))
    assert response.status_code == 200 and "Noen andre har lagret endringer" in response.content.decode()
    assert Call.objects.get(pk=call.pk).title == "Utlysning" and call.criteria.order_by("order", "pk").first().weight == 5
    # Saving again from the refreshed form keeps the first person's weight: it is in the form now.
    response = second.post(url, form_data(second.get(url), title="Utlysning 2027"))
    assert response.status_code == 302 and Call.objects.get(pk=call.pk).title == "Utlysning 2027"
    assert call.criteria.order_by("order", "pk").first().weight == 5
