"""The checklist page and the company identity page (ONB-1): thin views over checklist.py and
portal/company.py."""
from dataclasses import asdict

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.decorators import admin_required
from portal.company import CompanyIdentity, current_identity, missing_fields, save_identity
from portal.onboarding import bp
from portal.onboarding.checklist import is_complete, steps_for
from portal.onboarding.forms import CompanyIdentityForm


@bp.route("/premiers-pas")
@admin_required
def checklist():
    steps = steps_for(current_user._get_current_object())
    return render_template("onboarding/checklist.html", steps=steps, complete=is_complete(steps))


@bp.route("/entreprise", methods=["GET", "POST"])
@admin_required
def company():
    identity = current_identity()
    form = CompanyIdentityForm(data=asdict(identity) if request.method == "GET" else None)
    if form.validate_on_submit():
        save_identity(CompanyIdentity(**{name: form[name].data or "" for name in asdict(identity)}),
                      current_user._get_current_object(), remote_addr=request.remote_addr)
        flash(_("Identité de l'entreprise enregistrée : reçus, bons de commande, virements et FEC l'utilisent."),
              "success")
        if not is_complete(steps_for(current_user._get_current_object())):
            return redirect(url_for("onboarding.checklist"), 303)
        return redirect(url_for("onboarding.company"), 303)
    return render_template("onboarding/company.html", form=form, missing=missing_fields(identity)), \
        422 if form.errors else 200
