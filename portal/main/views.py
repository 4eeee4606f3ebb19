"""Home page (what each user may see, by their rights), the old address of the dashboard, and the
health check (OPS-4)."""
from flask import current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.main import bp
from portal.main.health import health_report
from portal.main.home import end_of_week, home_panels
from portal.payments.context import payment_context


@bp.route("/")
@login_required
def home():
    first_run = None
    if current_user.is_admin:
        from portal.onboarding.checklist import is_complete, steps_for

        steps = steps_for(current_user._get_current_object())
        if not is_complete(steps):
            first_run = {"done": sum(step.done for step in steps), "total": len(steps)}
    ctx = payment_context()
    today = ctx.today()
    panels = home_panels(current_user._get_current_object(), today, ctx.timezone)
    return render_template("main/home.html", first_run=first_run, panels=panels, today=today,
                           sunday=end_of_week(today))


@bp.route("/<any(\"tableau-de-bord\"):area>/")
@login_required
def upcoming(area):
    """The menu's dashboard entry lived here while it was still to come: old bookmarks land on it."""
    return redirect(url_for("payments.dashboard_page"))


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for it whatever the page says; served without a session or the database."""
    return current_app.send_static_file("favicon.ico")


@bp.route("/health")
def health():
    report, status = health_report(current_app.config)
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response, status
