"""Signing in from a browser test: the login form, once or on every page load."""

from __future__ import annotations

from kpis.access.demo_users import DemoUser

SIGN_IN_TIMEOUT_MS = 120_000  # a loaded CI machine: argon2, then the app's first run


def sign_in(page, username: str, password: str) -> None:
    """Use the login form on the page, and wait until the app shows who is signed in."""
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.get_by_role("button", name="Log ud").wait_for(timeout=SIGN_IN_TIMEOUT_MS)


def signs_in_on_every_load(page, who: DemoUser) -> None:
    """A local user's sign-in lasts one browser session (one page load): after each goto, reload
    and history step the page answers the login form, if it shows, as ``who`` — so a test reads
    as if it had been signed in all along, and still gets the address it asked for."""

    def sign_in_if_asked() -> None:
        form = page.get_by_label("Brugernavn")
        signed_in = page.get_by_role("button", name="Log ud")
        form.or_(signed_in).first.wait_for(timeout=SIGN_IN_TIMEOUT_MS)
        if form.is_visible():
            sign_in(page, who.user.username, who.password)

    def signing_in(navigate):
        def navigate_and_sign_in(*args, **kwargs):
            response = navigate(*args, **kwargs)
            sign_in_if_asked()
            return response

        return navigate_and_sign_in

    for name in ("goto", "reload", "go_back", "go_forward"):
        setattr(page, name, signing_in(getattr(page, name)))
