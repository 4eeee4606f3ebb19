"""User administration rules: create, update, unlock, grant rights — each audited (AUDIT-1)."""
from models import Department, Establishment, User, db
from portal.audit import record_action
from portal.auth import totp
from portal.auth.passwords import PasswordRejected, bump_session_version, create_user, set_password, unlock
from portal.auth.rights import set_rights

PROFILE_FIELDS = ("username", "display_name", "email", "language", "is_admin", "active",
                  "department_id", "establishment_id")


def user_snapshot(user):
    return {field: getattr(user, field) for field in PROFILE_FIELDS}


def save_user(user, data, *, actor, remote_addr="", hash_method="scrypt"):
    """Create (user is None) or update a user from validated form data; returns the user.

    Raises PasswordRejected with a message for the password field."""
    password = data.pop("password", "") or ""
    for key in ("display_name", "email"):
        data[key] = (data.get(key) or "").strip()
    with db.atomic():
        if user is None:
            if not password:
                raise PasswordRejected("Choisissez un mot de passe pour ce compte.")
            user = create_user(data.pop("username"), password, method=hash_method, **data)
            record_action("user.create", "user", user.id, user=actor, after=user_snapshot(user),
                          remote_addr=remote_addr)
            return user
        if actor.id == user.id and (not data.get("is_admin") or not data.get("active")):
            raise PasswordRejected("Vous ne pouvez pas retirer vos propres droits d'administrateur.")
        clash = User.by_username(data["username"])
        if clash is not None and clash.id != user.id:
            raise PasswordRejected("L'identifiant « %(username)s » existe déjà.", username=data["username"])
        before = user_snapshot(user)
        for field, value in data.items():
            setattr(user, field, value)
        user.save()
        if password:
            set_password(user, password, method=hash_method)  # ends the user's sessions (AUTH-5)
        if before["active"] and not user.active:
            bump_session_version(user)  # AUTH-5: a deactivated user's sessions end now
        after = user_snapshot(user)
        if password:
            after["password"] = "modifié"
        record_action("user.update", "user", user.id, user=actor, before=before, after=after,
                      remote_addr=remote_addr)
    return user


def unlock_user(user, *, actor, remote_addr=""):
    with db.atomic():
        before = {"locked_until": user.locked_until, "failed_logins": user.failed_logins}
        unlock(user)
        record_action("user.unlock", "user", user.id, user=actor, before=before,
                      after={"locked_until": None, "failed_logins": 0}, remote_addr=remote_addr)


def reset_user_totp(user, *, actor, remote_addr=""):
    """AUTH-4: remove a user's second factor (lost phone); audited, and the user's sessions end."""
    with db.atomic():
        before = {"totp": totp.is_enrolled(user), "recovery_codes_left": totp.remaining_recovery_codes(user)}
        totp.reset(user)
        record_action("user.totp_reset", "user", user.id, user=actor, before=before,
                      after={"totp": False, "recovery_codes_left": 0}, remote_addr=remote_addr)


def grant_rights(user, shops, checked, *, actor, remote_addr=""):
    """`checked` maps shop id -> set of right names; only changed shops are written and audited."""
    with db.atomic():
        for shop in shops:
            before, after = set_rights(user, shop, checked.get(shop.id, set()))
            if before != after:
                record_action("user.rights", "user", user.id, user=actor,
                              before={"shop": shop.merchant_id, "rights": before},
                              after={"shop": shop.merchant_id, "rights": after},
                              remote_addr=remote_addr)


def choices(model):
    return [(0, "—")] + [(row.id, row.name) for row in model.select().order_by(model.name)]


def department_choices():
    return choices(Department)


def establishment_choices():
    return choices(Establishment)
