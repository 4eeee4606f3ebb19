"""AP-SUP-1: supplier identifiers checked with python-stdnum, each refusal with a message saying what is wrong."""
import pytest

from portal.suppliers.identifiers import (IdentifierError, check_bic, check_country, check_iban, check_siren,
                                          check_siret, check_vat_number, country_choices, country_name,
                                          format_iban, french_vat_number)

SIREN = "732829320"
SIRET = "73282932000074"
VAT = "FR44732829320"
IBAN = "FR7630006000011234567890189"
BIC = "BNPAFRPPXXX"


def _refusal(check, *args, **kwargs):
    with pytest.raises(IdentifierError) as caught:
        check(*args, **kwargs)
    assert isinstance(caught.value, ValueError)
    return str(caught.value)


@pytest.mark.parametrize("typed", [SIREN, "732 829 320", " 732.829.320 "])
def test_ap_sup_1_siren_valid_returns_compact(typed):
    assert check_siren(typed) == SIREN


@pytest.mark.parametrize("typed, message", [
    ("732829321", "Clé de contrôle SIREN invalide : un chiffre est faux ou inversé, vérifiez les 9 chiffres."),
    ("73282932", "Le SIREN compte 9 chiffres ; vous en avez saisi 8."),
    ("7328293200", "Le SIREN compte 9 chiffres ; vous en avez saisi 10."),
    ("73282932O", "Le SIREN ne contient que des chiffres : 9 chiffres, espaces permis."),
])
def test_ap_sup_1_siren_invalid_says_why(typed, message):
    assert _refusal(check_siren, typed) == message


@pytest.mark.parametrize("typed", [SIRET, "732 829 320 00074"])
def test_ap_sup_1_siret_valid_returns_compact(typed):
    assert check_siret(typed) == SIRET
    assert check_siret(typed, siren=SIREN) == SIRET


@pytest.mark.parametrize("typed, siren, message", [
    ("73282932000075", None,
     "Clé de contrôle SIRET invalide : un chiffre est faux ou inversé, vérifiez les 14 chiffres."),
    ("7328293200007", None,
     "Le SIRET compte 14 chiffres (le SIREN puis 5 chiffres d'établissement) ; vous en avez saisi 13."),
    ("7328293200007A", None, "Le SIRET ne contient que des chiffres : 14 chiffres, espaces permis."),
    ("55210055400013", SIREN,
     "Le SIRET doit commencer par le SIREN 732829320 ; ses 9 premiers chiffres sont 552100554."),
])
def test_ap_sup_1_siret_invalid_says_why(typed, siren, message):
    assert _refusal(check_siret, typed, siren=siren) == message


def test_ap_sup_1_vat_number_valid_with_country_and_siren():
    assert check_vat_number("fr 44 732 829 320", "FR", SIREN) == VAT
    assert check_vat_number("DE136695976", "DE") == "DE136695976"
    assert check_vat_number("EL094259216", "GR") == "EL094259216"  # Greece uses EL, not GR
    assert check_vat_number(VAT) == VAT
    assert french_vat_number(SIREN) == VAT


@pytest.mark.parametrize("typed, country, siren, message", [
    ("FR45732829320", "FR", None,
     "Clé de contrôle TVA invalide : un chiffre est faux ou inversé, vérifiez le numéro de TVA intracommunautaire."),
    ("DE136695976", "FR", None,
     "Ce numéro de TVA commence par DE (Allemagne), or le pays du fournisseur est France : il doit commencer par FR."),
    (VAT, "FR", "552100554",
     "Ce numéro de TVA ne correspond pas au SIREN 552100554 : le numéro attendu est FR96552100554."),
    ("DE12345", "DE", None,
     "Longueur incorrecte pour un numéro de TVA DE (Allemagne) : vérifiez qu'il est complet."),
    ("XX1234", None, None,
     "Préfixe de pays inconnu : « XX ». Un numéro de TVA intracommunautaire commence par le code d'un pays "
     "de l'Union européenne (FR, DE, BE, EL pour la Grèce…)."),
    ("44732829320", "FR", None,
     "Un numéro de TVA intracommunautaire commence par le code du pays (2 lettres, FR pour la France), "
     "suivi du numéro."),
    ("US123456", "US", None,
     "Le numéro de TVA intracommunautaire n'existe que dans l'Union européenne, or le pays du fournisseur "
     "est États-Unis : laissez ce champ vide."),
])
def test_ap_sup_1_vat_number_invalid_says_why(typed, country, siren, message):
    assert _refusal(check_vat_number, typed, country, siren) == message


@pytest.mark.parametrize("typed", [IBAN, "fr76 3000 6000 0112 3456 7890 189", "FR76-3000-6000-0112-3456-7890-189"])
def test_ap_sup_1_iban_valid_returns_compact(typed):
    assert check_iban(typed) == IBAN
    assert format_iban(IBAN) == "FR76 3000 6000 0112 3456 7890 189"


@pytest.mark.parametrize("typed, message", [
    ("FR7630006000011234567890188",
     "Clé de contrôle IBAN invalide : un caractère est faux ou inversé, vérifiez l'IBAN sur le RIB du fournisseur."),
    ("FR76300060000112345678901", "Un IBAN FR (France) compte 27 caractères ; vous en avez saisi 25."),
    ("XX7630006000011234567890189",
     "Pays inconnu au début de l'IBAN : « XX ». Un IBAN commence par le code du pays de la banque "
     "(FR pour la France)."),
    ("30006000011234567890189",
     "Un IBAN commence par 2 lettres (le pays) et 2 chiffres (la clé), suivis de lettres et de chiffres uniquement."),
])
def test_ap_sup_1_iban_invalid_says_why(typed, message):
    assert _refusal(check_iban, typed) == message


@pytest.mark.parametrize("typed, compact", [(BIC, BIC), ("bnpa fr pp", "BNPAFRPP")])
def test_ap_sup_1_bic_valid_returns_compact(typed, compact):
    assert check_bic(typed) == compact


@pytest.mark.parametrize("typed, message", [
    ("BNPAFRPPXX", "Le BIC compte 8 ou 11 caractères ; vous en avez saisi 10."),
    ("BNPA1RPPXXX", "Format de BIC invalide : 4 lettres (la banque), 2 lettres (le pays), 2 lettres ou chiffres "
                    "(la ville), puis 3 lettres ou chiffres facultatifs (l'agence)."),
    ("BNPAXXPPXXX", "Pays inconnu dans le BIC : « XX » (5e et 6e caractères)."),
])
def test_ap_sup_1_bic_invalid_says_why(typed, message):
    assert _refusal(check_bic, typed) == message


def test_ap_sup_1_country_iso_3166_alpha_2():
    assert check_country("fr") == "FR"
    assert check_country("DE") == "DE"
    assert country_name("DE") == "Allemagne"
    codes = [code for code, _ in country_choices()]
    assert "FR" in codes and "EU" not in codes and "ZZ" not in codes and "001" not in codes
    names = [name for _, name in country_choices()]
    assert names.index("Égypte") < names.index("Espagne") < names.index("Zimbabwe")  # É sorted with E


@pytest.mark.parametrize("typed", ["XX", "EU", "FRA", "", "001"])
def test_ap_sup_1_country_unknown_says_why(typed):
    assert _refusal(check_country, typed) == (
        f"Code pays inconnu : « {typed} ». Choisissez un pays de la liste (code ISO à deux lettres, FR pour la France).")
