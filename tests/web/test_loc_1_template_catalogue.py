"""LOC-1: templates translate through a catalogue looked up once per request (portal/formatting.py);
it must still follow the user's language and force_locale()."""
from flask_babel import force_locale

from tests.factories import make_user


def test_loc_1_template_texts_follow_force_locale_within_one_request(app):
    template = app.jinja_env.from_string("{{ _('Référence') }}|{{ ngettext('%(num)s facture', '%(num)s factures', 2) }}")
    with app.test_request_context("/"):
        assert template.render() == "Référence|2 factures"
        with force_locale("en"):
            assert template.render().startswith("Reference|")
        assert template.render() == "Référence|2 factures"


def test_loc_1_each_request_gets_its_users_language(app, client, admin):
    make_user("anglais", language="en")
    client.login("anglais")
    assert "You have no rights on any shop yet" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    client.login("admin")
    page = client.get("/").get_data(as_text=True)
    assert "Se déconnecter" in page and "Log out" not in page
