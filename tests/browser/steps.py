"""Steps the browser journeys share."""
from tests.factories import PASSWORD


def log_in(page, username, password=PASSWORD):
    """Log in through the login page, leaving any previous session behind."""
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def screenshot(page, output_dir, name):
    """A full-page screenshot under test-output/, to be looked at."""
    page.screenshot(path=output_dir / f"{name}.png", full_page=True)
