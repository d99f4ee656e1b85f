"""The markup behind the reflow work: the main menu marks where one is, and the application
form's section navigation says which parts are done (and follows an autosave)."""

import re

from django import forms

from rsportal.applications.forms import DescriptionForm

from .test_applications import call, draft, trust_applicant  # noqa: F401 (fixtures)


def _menu(html: str) -> str:
    return html[html.index('aria-label="Hovedmeny"') : html.index("</nav>")]


def _state(html: str, key: str) -> str:
    nav = html[html.index('id="section-nav"') :]
    return re.search(rf'href="#{key}">[^<]+</a>\s*<span class="ds-tag" data-color="(\w+)"', nav).group(1)


def test_the_menu_marks_the_current_page_and_its_section(client, call):  # noqa: F811
    menu = _menu(client.get("/prosjekter/").content.decode())
    assert re.findall(r'<a class="ds-link" href="([^"]+)" aria-current="(\w+)"', menu) == [("/prosjekter/", "page")]
    # A call's page lies under "Utlysninger", not under "Mine søknader" (/soknader/) though both are prefixes.
    menu = _menu(client.get(f"/soknader/utlysninger/{call.pk}/").content.decode())
    assert re.findall(r'<a class="ds-link" href="([^"]+)" aria-current="(\w+)"', menu) == [("/soknader/utlysninger/", "true")]
    assert "aria-current" not in _menu(client.get("/").content.decode())


def test_the_section_navigation_follows_the_autosave(login, draft, personas):  # noqa: F811
    client = login(personas.applicant)
    html = client.get(f"/soknader/{draft.pk}/").content.decode()
    assert _state(html, "beskrivelse") == "warning" and "Mangler" in html
    assert 'class="ds-button autosave-fallback"' in html  # the save button is only the no-script fallback
    texts = [name for name, field in DescriptionForm().fields.items() if isinstance(field.widget, forms.Textarea)]
    data = {"version": "0", **{f"beskrivelse-{name}": "Fylt ut" for name in texts}}
    response = client.post(f"/soknader/{draft.pk}/del/beskrivelse/", data, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200 and "Lagret" in fragment
    assert 'id="section-nav" class="panel" hx-swap-oob="true"' in fragment
    assert _state(fragment, "beskrivelse") == "success"
    assert _state(fragment, "budsjett") == "warning"
    draft.refresh_from_db()
    assert texts and all(getattr(draft, name) == "Fylt ut" for name in texts)
