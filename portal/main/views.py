"""Home page, the areas still to come, and the health check (OPS-4)."""
from flask import jsonify, render_template
from flask_login import login_required

from models import db
from portal.main import bp

# Areas whose issue has not landed yet: they say so rather than show anything fake.
UPCOMING_AREAS = {
    "tableau-de-bord": "Tableau de bord",
}


@bp.route("/")
@login_required
def home():
    return render_template("main/home.html", areas=UPCOMING_AREAS)


@bp.route("/<any(" + ",".join(f'"{key}"' for key in UPCOMING_AREAS) + "):area>/")
@login_required
def upcoming(area):
    return render_template("main/upcoming.html", area=area, title=UPCOMING_AREAS[area])


@bp.route("/health")
def health():
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
    except Exception as exc:  # the check must answer, whatever the failure
        return jsonify(status="error", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
