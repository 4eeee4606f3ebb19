"""Administration pages: users and their rights, shops, departments, establishments, audit log."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import IntegrityError

from models import AuditRecord, Department, Establishment, Shop, User, db
from portal.admin import bp
from portal.admin.accounts import (department_choices, establishment_choices, grant_rights,
                                   reset_user_totp, save_user, unlock_user)
from portal.admin.audit_view import audit_rows
from portal.admin.forms import NameForm, ShopForm, UserForm
from portal.auth import totp
from portal.auth.decorators import admin_required
from portal.auth.passwords import PasswordRejected
from portal.auth.sessions import keep_current_session
from portal.auth.views import password_error, sso_enabled
from portal.auth.rights import ROLE_PRESETS, SHOP_RIGHTS, rights_grid
from portal.invoices.paging import requested_page
from portal.payments.gateways import save_gateway_settings
from portal.web import audit

AUDIT_PAGE_SIZE = 50


def _actor():
    return current_user._get_current_object()


@bp.route("/")
@admin_required
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@admin_required
def users():
    rows = User.select().order_by(User.username)
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id=None):
    user = User.get_or_none(User.id == user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = UserForm(obj=user)
    form.department.choices = department_choices()
    form.establishment.choices = establishment_choices()
    if request.method == "GET" and user is not None:
        form.department.data = user.department_id or 0
        form.establishment.data = user.establishment_id or 0
    if form.validate_on_submit():
        data = {name: form[name].data for name in
                ("username", "display_name", "email", "language", "is_admin", "active", "password")}
        data["department_id"] = form.department.data or None
        data["establishment_id"] = form.establishment.data or None
        try:
            saved = save_user(user, data, actor=_actor(), remote_addr=request.remote_addr,
                              hash_method=current_app.config["PASSWORD_HASH_METHOD"])
        except PasswordRejected as exc:
            target = form.password if "passe" in str(exc) else form.username
            target.errors = list(target.errors) + [password_error(exc)]
        else:
            if saved.id == current_user.id:
                keep_current_session(saved)  # an administrator changing her own password stays here
            flash(_("Utilisateur %(name)s enregistré.", name=saved.username), "success")
            return redirect(url_for("admin.edit_user", user_id=saved.id))
    shops = list(Shop.select().order_by(Shop.name))
    return render_template(
        "admin/user_edit.html", form=form, user=user, shops=shops, rights=SHOP_RIGHTS, presets=ROLE_PRESETS,
        grid=rights_grid(user) if user else {}, totp_status=_totp_status(user) if user else None,
    ), 422 if form.errors else 200


def _totp_status(user):
    return {"enrolled": totp.is_enrolled(user), "enrolled_at": user.totp_enrolled_at,
            "remaining": totp.remaining_recovery_codes(user), "required": totp.totp_required(user, sso_enabled=sso_enabled())}


@bp.route("/users/<int:user_id>/totp/reset", methods=["POST"])
@admin_required
def reset_totp(user_id):
    user = User.get_or_none(User.id == user_id) or abort(404)
    reset_user_totp(user, actor=_actor(), remote_addr=request.remote_addr)
    if user.id == current_user.id:
        keep_current_session(user)
    message = _("Double authentification de %(name)s réinitialisée : elle l'activera de nouveau à sa prochaine "
                "connexion.", name=user.username)
    if request.headers.get("HX-Target") == "totp-status":
        return render_template("admin/_totp_status.html", user=user, totp_status=_totp_status(user),
                               message=message)
    flash(message, "success")
    return redirect(url_for("admin.edit_user", user_id=user.id) + "#totp-status", 303)


@bp.route("/users/<int:user_id>/rights", methods=["POST"])
@admin_required
def user_rights(user_id):
    user = User.get_or_none(User.id == user_id) or abort(404)
    shops = list(Shop.select().order_by(Shop.name))
    checked = {}
    for shop in shops:
        preset = ROLE_PRESETS.get(request.form.get(f"preset-{shop.id}", ""))
        # A role chosen for the shop wins over the boxes (without JavaScript they were not ticked).
        checked[shop.id] = set(preset[1]) if preset else {r for r in request.form.getlist(f"shop-{shop.id}")
                                                           if r in SHOP_RIGHTS}
    grant_rights(user, shops, checked, actor=_actor(), remote_addr=request.remote_addr)
    flash(_("Droits de %(name)s enregistrés.", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id) + "#droits", 303)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@admin_required
def unlock(user_id):
    user = User.get_or_none(User.id == user_id) or abort(404)
    unlock_user(user, actor=_actor(), remote_addr=request.remote_addr)
    flash(_("Compte %(name)s déverrouillé.", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


@bp.route("/shops")
@admin_required
def shops():
    return render_template("admin/shops.html", shops=Shop.select().order_by(Shop.name))


@bp.route("/shops/new", methods=["GET", "POST"])
@bp.route("/shops/<int:shop_id>", methods=["GET", "POST"])
@admin_required
def edit_shop(shop_id=None):
    shop = Shop.get_or_none(Shop.id == shop_id) if shop_id else None
    if shop_id and shop is None:
        abort(404)
    form = ShopForm(obj=shop)
    form.establishment.choices = establishment_choices()
    form.stored_secret = bool(shop and shop.gateway_secret)
    if request.method == "GET" and shop is not None:
        form.establishment.data = shop.establishment_id or 0
    if form.validate_on_submit():
        fields = ("name", "merchant_id", "address", "postal_code", "city", "currency", "default_capture_mode",
                  "default_capture_delay", "default_network")
        before = {f: getattr(shop, f) for f in fields} if shop else None
        target = shop or Shop()
        for field in fields:
            setattr(target, field, form[field].data)
        target.establishment = form.establishment.data or None
        try:
            with db.atomic():
                target.save()
                audit("shop.update" if shop else "shop.create", "shop", target.id,
                      before=before, after={f: getattr(target, f) for f in fields})
                save_gateway_settings(current_app.extensions["comptoir.gateways"].vault, target, form.gateway.data,
                                      form.gateway_key_version.data, form.secret_key.data or "",
                                      user=current_user._get_current_object(), remote_addr=request.remote_addr)
                if shop is None:
                    # ONB-1: the administrator who creates a shop works in it at once (she can take
                    # rights off on her user page).
                    grant_rights(current_user._get_current_object(), [target], {target.id: set(SHOP_RIGHTS)},
                                 actor=_actor(), remote_addr=request.remote_addr)
        except IntegrityError:
            form.merchant_id.errors = [_("Une autre boutique a déjà cet identifiant commerçant.")]
        else:
            if shop is None:
                flash(_("Boutique %(name)s créée : vous y avez tous les droits (modifiables sur votre page "
                        "utilisateur).", name=target.name), "success")
                return redirect(url_for("onboarding.checklist"), 303)
            flash(_("Boutique %(name)s enregistrée.", name=target.name), "success")
            return redirect(url_for("admin.shops"))
    return render_template("admin/shop_edit.html", form=form, shop=shop), 422 if form.errors else 200


@bp.route("/organisation", methods=["GET", "POST"])
@admin_required
def organisation():
    kinds = {"department": (Department, _("Service")), "establishment": (Establishment, _("Établissement"))}
    forms = {kind: NameForm(prefix=kind) for kind in kinds}
    kind = request.form.get("kind")
    if request.method == "POST" and kind in kinds:
        form, (model, label) = forms[kind], kinds[kind]
        if form.validate():
            try:
                with db.atomic():
                    row = model.create(name=form.name.data.strip())
                    audit(f"{kind}.create", kind, row.id, after={"name": row.name})
            except IntegrityError:
                form.name.errors = [_("Ce nom existe déjà.")]
            else:
                flash(_("%(label)s « %(name)s » ajouté.", label=label, name=row.name), "success")
                return redirect(url_for("admin.organisation"), 303)
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render_template(
        "admin/organisation.html", forms=forms,
        departments=Department.select().order_by(Department.name),
        establishments=Establishment.select().order_by(Establishment.name),
    ), status


@bp.route("/audit")
@admin_required
def audit_log():
    page = requested_page(request.args)
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    query = AuditRecord.select().order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
    if action:
        query = query.where(AuditRecord.action.startswith(action))
    if actor:
        query = query.where(AuditRecord.actor == actor)
    records = list(query.limit(AUDIT_PAGE_SIZE + 1).offset((page - 1) * AUDIT_PAGE_SIZE))
    return render_template(
        "admin/audit.html", records=audit_rows(records[:AUDIT_PAGE_SIZE], _actor(), label=_("valeur restreinte")), page=page,
        has_next=len(records) > AUDIT_PAGE_SIZE, action=action, actor=actor,
    )


@bp.route("/fraude", methods=["GET", "POST"])
@admin_required
def fraud_profile():
    from models import FraudProfile as FraudProfileRow
    from portal.admin.forms import FraudProfileForm
    from portal.money import format_amount_input
    from portal.payments.service import current_fraud_profile, save_fraud_profile

    profile = current_fraud_profile()
    form = FraudProfileForm()
    if request.method == "GET":
        ceiling = profile.max_amount.get("EUR")
        form.max_amount_eur.data = format_amount_input(ceiling, "EUR") if ceiling is not None else ""
        form.max_uses_per_card_per_day.data = profile.max_uses_per_card_per_day
        form.blocked_countries.data = ", ".join(profile.blocked_countries)
    elif form.validate_on_submit():
        settings = profile.settings()
        max_amount = {k: v for k, v in settings["max_amount"].items() if k != "EUR"}
        if form.max_amount_minor is not None:
            max_amount["EUR"] = form.max_amount_minor
        saved = save_fraud_profile({"max_amount": max_amount,
                                    "max_uses_per_card_per_day": form.max_uses_per_card_per_day.data,
                                    "blocked_countries": form.country_codes}, _actor())
        flash(_("Profil de fraude enregistré : version %(version)s.", version=saved.version), "success")
        return redirect(url_for("admin.fraud_profile"), 303)
    versions = FraudProfileRow.select().order_by(FraudProfileRow.version.desc()).limit(20)
    return render_template("admin/fraud.html", form=form, profile=profile, versions=versions), \
        422 if form.errors else 200


@bp.app_template_global("describe_action")
def describe_action_global(code):
    from portal.audit_labels import describe_action

    return describe_action(code)
