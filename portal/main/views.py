"""Home page, the areas still to come, and the health check (OPS-4)."""
from flask import current_app, jsonify, render_template
from flask_login import current_user, login_required

from portal.main import bp
from portal.main.health import health_report

# Areas whose issue has not landed yet: they say so rather than show anything fake.
UPCOMING_AREAS = {
    "tableau-de-bord": "Tableau de bord",
}


@bp.route("/")
@login_required
def home():
    first_run = None
    if current_user.is_admin:
        from portal.onboarding.checklist import is_complete, steps_for

        steps = steps_for(current_user._get_current_object())
        if not is_complete(steps):
            first_run = {"done": sum(step.done for step in steps), "total": len(steps)}
    return render_template("main/home.html", areas=UPCOMING_AREAS, first_run=first_run)


@bp.route("/<any(" + ",".join(f'"{key}"' for key in UPCOMING_AREAS) + "):area>/")
@login_required
def upcoming(area):
    return render_template("main/upcoming.html", area=area, title=UPCOMING_AREAS[area])


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
