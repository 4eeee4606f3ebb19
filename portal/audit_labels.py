"""What each audit action code means, in words (LOC-3: the audit page shows no raw code alone).
Plain Python: the labels are French catalogue texts, translated where they are shown."""
from portal.texts import N_

FAMILIES = {
    "accounting": N_("Comptabilité"), "allocation": N_("Ventilation"), "analytic": N_("Axes analytiques"),
    "bank_account": N_("Compte bancaire"), "delivery_note": N_("Bon de livraison"), "evaluation": N_("Évaluation"),
    "fraud_profile": N_("Profil antifraude"), "invoice": N_("Facture"), "mail": N_("Courriel"),
    "matching": N_("Rapprochement"), "payment": N_("Transaction"), "payment_batch": N_("Lot de virements"),
    "purchase_order": N_("Bon de commande"), "purchase_request": N_("Demande d'achat"), "remittance": N_("Remise"),
    "setting": N_("Paramètres"), "shop": N_("Boutique"), "supplier": N_("Fournisseur"), "user": N_("Utilisateur"),
    "wallet": N_("Portefeuille"),
}

# The last part of the code: what was done.
VERBS = {
    "create": N_("création"), "update": N_("modification"), "delete": N_("suppression"), "add": N_("ajout"),
    "archive": N_("archivage"), "unarchive": N_("désarchivage"), "rename": N_("renommage"),
    "reorder": N_("nouvel ordre"), "restrict": N_("restriction"), "unrestrict": N_("fin de restriction"),
    "grant": N_("accès accordé"), "revoke": N_("accès retiré"), "save": N_("enregistrement"),
    "correct": N_("correction"), "retry": N_("nouvel essai"), "run": N_("exécution"), "sync": N_("lecture de l'état"),
    "refused": N_("refusée"), "approve": N_("approbation"), "approve_partially": N_("approbation partielle"),
    "reject": N_("rejet"), "request": N_("demande"), "take": N_("prise en charge"), "dispute": N_("mise en litige"),
    "suspend": N_("suspension"), "resume": N_("reprise"), "refuse": N_("refus"), "pay": N_("paiement"),
    "pay_partially": N_("paiement partiel"), "payment": N_("paiement"), "accept_schema": N_("acceptée non conforme"),
    "payment_debited": N_("montant débité en euros d'un paiement"),
    "deposit_deduction": N_("déduction d'acompte"), "request_shares": N_("répartition par demande"),
    "in": N_("message reçu"), "out": N_("message envoyé"), "done": N_("terminée"), "reopen": N_("rouverte"),
    "threshold": N_("seuil"), "archive_supplier": N_("fournisseur archivé"), "tolerances": N_("tolérances"),
    "company": N_("société"), "gateway": N_("passerelle"), "accounts": N_("comptes"),
    "supplier_accounts": N_("comptes fournisseurs"), "invoice_booking": N_("comptabilisation d'une facture"),
    "close_period": N_("clôture de période"), "export_fec": N_("export FEC"), "export_entries": N_("export des écritures"),
    "export_analytic": N_("export analytique"), "validate": N_("validation"), "cancel": N_("annulation"),
    "credit": N_("remboursement"), "duplicate": N_("duplication"), "author": N_("autorisation"),
    "language": N_("langue"), "locked": N_("compte verrouillé"), "unlock": N_("déverrouillage"),
    "rights": N_("droits"), "password_change": N_("changement de mot de passe"), "sso_login": N_("connexion SSO"),
    "totp_enrol": N_("second facteur activé"), "totp_recovery_codes": N_("codes de secours"),
    "totp_reset": N_("second facteur réinitialisé"), "login_recovery_code": N_("connexion par code de secours"),
    "create_admin_cli": N_("administrateur créé en ligne de commande"),
    "create_first_admin": N_("premier administrateur"),
}
OTHER = N_("autre action")


def describe_action(code):
    """(family, what was done) as French catalogue texts; the family is the code's first part, what was done its
    most specific known part (payment.credit.refused → Transaction, remboursement refusée is read as the last
    known part plus "refusée")."""
    parts = code.split(".")
    family = FAMILIES.get(parts[0], OTHER)
    known = [VERBS[part] for part in parts[1:] if part in VERBS]
    return family, known or [OTHER]
