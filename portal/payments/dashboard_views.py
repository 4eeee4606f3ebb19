"""The payments dashboard page (PAY-DASH-1): a day, a currency and the user's shops; the figures of
portal.payments.dashboard, three server-drawn charts, and links into the filtered transaction list."""
import datetime
import re

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth.decorators import right_required
from portal.auth.rights import shops_with_right
from portal.money import MoneyError, exponent
from portal.numbers import parse_id
from portal.payments import bp, dashboard
from portal.payments.cards import NETWORK_LABELS
from portal.payments.context import payment_context

FRAGMENT_TARGET = "dashboard"
MEASURES = {"montant": "amount", "nombre": "count"}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Refusal reasons as the merchant reads them (the response codes of the gateway's vocabulary).
REASON_LABELS = {
    "02": _l("Contacter l'émetteur de la carte"),
    "03": _l("Contrat commerçant invalide"),
    "05": _l("Ne pas honorer (refus de l'émetteur)"),
    "12": _l("Transaction invalide"),
    "14": _l("Numéro de carte invalide"),
    "17": _l("Annulation par l'acheteur"),
    "24": _l("Opération impossible dans l'état de la transaction"),
    "25": _l("Transaction inconnue de la passerelle"),
    "30": _l("Erreur de format de la requête"),
    "34": _l("Suspicion de fraude"),
    "40": _l("Fonction non autorisée pour ce commerçant"),
    "51": _l("Montant trop élevé ou provision insuffisante"),
    "54": _l("Carte expirée"),
    "60": _l("Transaction en attente"),
    "63": _l("Règles de sécurité non respectées"),
    "75": _l("Nombre de tentatives de saisie du numéro de carte dépassé"),
    "90": _l("Service temporairement indisponible"),
    "94": _l("Transaction en double : cette référence a déjà servi"),
    "97": _l("Délai dépassé, transaction refusée"),
    "99": _l("Problème temporaire du serveur de la passerelle"),
}
STAGE_LABELS = {"authorisation": _l("À l'autorisation"), "remittance": _l("À la remise en banque")}


def reason_label(stage, code):
    """'À la remise en banque — Transaction invalide (12)': never a raw code alone."""
    label = REASON_LABELS.get(code) or (_("Code réponse %(code)s", code=code) if code else _("Sans code réponse"))
    return f"{STAGE_LABELS[stage]} — {label}" + (f" ({code})" if code and code in REASON_LABELS else "")


def _chosen(shops, args, errors):
    """The day, currency, shop and chart measure asked for; messages under the fields for bad ones."""
    today = payment_context().today()
    text = (args.get("jour") or "").strip()
    day = today
    if text:
        try:
            day = dashboard.check_day(datetime.date.fromisoformat(text), today)
        except dashboard.DayOutOfRange as out:
            errors["jour"] = (_("Ce jour est dans le futur : choisissez au plus tard le %(last)s.",
                                last=out.last.strftime("%d/%m/%Y")) if out.reason == "future" else
                              _("Le tableau de bord remonte à 60 jours : choisissez un jour du %(first)s au %(last)s.",
                                first=out.first.strftime("%d/%m/%Y"), last=out.last.strftime("%d/%m/%Y")))
        except ValueError:
            errors["jour"] = _("Date illisible : choisissez un jour dans le calendrier.")
    shop = None
    wanted = (args.get("boutique") or "").strip()
    if wanted:
        if parse_id(wanted) is None:
            errors["boutique"] = _("Boutique inconnue : choisissez dans la liste.")
        else:
            shop = next((s for s in shops if s.id == parse_id(wanted)), None)
            if shop is None:
                abort(403)  # an id of a shop the user may not view (SEC-1)
    currency = (args.get("devise") or "").strip().upper() or (shop or shops[0]).currency
    if not _CURRENCY.match(currency) or not _known(currency):
        errors["devise"] = _("Devise inconnue : choisissez dans la liste.")
        currency = (shop or shops[0]).currency
    measure = MEASURES.get(args.get("echelle"), "amount")
    return day, currency, shop, measure, today


def _known(currency):
    """Whether the portal knows the currency's decimals (an unknown code would fail the amounts)."""
    try:
        exponent(currency)
    except MoneyError:
        return False
    return True


def _list_url(figure, day, currency, shop):
    """The transaction list filtered as the figure counts (PAY-SRCH-1 URL filters)."""
    return url_for("payments.index", du=day.isoformat(), au=day.isoformat(), etat=list(dashboard.LIST_STATES[figure]),
                   devise=currency, boutique=shop.id if shop else None)


def _choice(shops, args):
    errors = {}
    day, currency, shop, measure, today = _chosen(shops, args, errors)
    values = {"shops": shops, "several_shops": len(shops) > 1, "shop": shop, "day": day, "today": today,
              "first_day": today - datetime.timedelta(days=dashboard.HISTORY_DAYS), "currency": currency,
              "measure": measure, "errors": errors, "figures": None,
              "choice": {"jour": day.isoformat(), "devise": currency, "boutique": shop.id if shop else None}}
    return values, ([shop.id] if shop else [s.id for s in shops])


def series_context(shops, args):
    """The 60-day chart: its own request (the one query that reads 60 days of transactions)."""
    values, shop_ids = _choice(shops, args)
    if values["errors"]:
        return values
    points = dashboard.daily_series(shop_ids, values["day"], values["currency"], payment_context().timezone)
    values.update(series=dashboard.series_chart(points, values["measure"]),
                  series_narrow=dashboard.series_chart(points, values["measure"], **dashboard.NARROW), series_points=points,
                  series_totals=(sum(p.accepted.count for p in points), sum(p.refused.count for p in points)))
    return values


def dashboard_context(shops, args):
    values, shop_ids = _choice(shops, args)
    if "jour" in values["errors"]:
        return values
    day, currency, shop = values["day"], values["currency"], values["shop"]
    timezone = payment_context().timezone
    figures = dashboard.day_figures(shop_ids, day, currency, timezone)
    links = {name: _list_url(name, day, currency, shop) for name in dashboard.LIST_STATES}
    networks = [(NETWORK_LABELS.get(name, name), count, amount) for name, count, amount in figures.networks]
    reasons = [(reason_label(stage, code), count, amount) for stage, code, count, amount in figures.reasons]
    values.update(
        figures=figures, links=links, currencies=sorted(set(figures.currencies) | {s.currency for s in shops}),
        networks=dashboard.share_bars(networks, "amount"), reasons=dashboard.share_bars(reasons, "count"),
        network_links={label: url_for("payments.index", du=day.isoformat(), au=day.isoformat(), reseau=name,
                                      etat=list(dashboard.ACCEPTED_STATES), devise=currency,
                                      boutique=shop.id if shop else None)
                       for (name, _count, _amount), (label, _c, _a) in zip(figures.networks, networks)},
    )
    return values


@bp.route("/tableau-de-bord")
@right_required("view")
def dashboard_page():
    shops = shops_with_right(current_user, "view")
    if not shops:
        abort(403)
    values = dashboard_context(shops, request.args)
    template = "payments/dashboard.html"
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == FRAGMENT_TARGET:
        template = "payments/_dashboard.html"
    return render_template(template, **values), 422 if values["errors"] else 200, {"Vary": "HX-Request, HX-Target"}


@bp.route("/tableau-de-bord/jours")
@right_required("view")
def dashboard_series():
    """The 60-day chart, asked by the dashboard once shown (htmx); without htmx, a page of its own."""
    shops = shops_with_right(current_user, "view")
    if not shops:
        abort(403)
    values = series_context(shops, request.args)
    template = "payments/dashboard_series.html"
    if request.headers.get("HX-Request") == "true":
        template = "payments/_dashboard_series.html"
    return render_template(template, **values), 422 if values["errors"] else 200, {"Vary": "HX-Request"}
