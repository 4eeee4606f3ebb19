"""The card vault (PAY-ACQ-2): full card numbers encrypted at rest behind a token, with a key
generated at first use and kept in a file outside the database. The CVV never comes here."""
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from models import VaultCard
from portal.payments.cards import Expiry


class VaultError(RuntimeError):
    pass


def load_or_create_key(path: Path) -> bytes:
    """Read the vault key, creating it (mode 0600) the first time."""
    path = Path(path)
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # O_EXCL: two workers starting together cannot both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class CardVault:
    def __init__(self, key: bytes):
        self._fernet = Fernet(key)
        self._fingerprint_key = hashlib.sha256(b"comptoir-card-fingerprint" + key).digest()

    @classmethod
    def from_key_file(cls, path):
        return cls(load_or_create_key(path))

    def fingerprint(self, number: str) -> str:
        """A keyed hash: the same card gives the same value, which reveals nothing without the key."""
        return hmac.new(self._fingerprint_key, number.encode(), hashlib.sha256).hexdigest()

    def store(self, number: str, expiry: Expiry) -> str:
        token = "tok_" + secrets.token_urlsafe(24)
        VaultCard.create(
            token=token,
            ciphertext=self._fernet.encrypt(number.encode()).decode(),
            expiry_year=expiry.year,
            expiry_month=expiry.month,
            fingerprint=self.fingerprint(number),
        )
        return token

    def card(self, token: str):
        """(number, Expiry) for a token; only the acquirer calls this."""
        row = VaultCard.get_or_none(VaultCard.token == token)
        if row is None:
            raise VaultError("carte inconnue du coffre")
        try:
            number = self._fernet.decrypt(row.ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError("la clé du coffre ne déchiffre pas cette carte (clé remplacée ?)")
        return number, Expiry(row.expiry_year, row.expiry_month)

    def encrypt_secret(self, text: str) -> str:
        """A gateway secret key, encrypted with the vault key (PAY-GW-2): the database never holds it in clear."""
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt_secret(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultError("la clé du coffre ne déchiffre pas la clé secrète de la passerelle (clé remplacée ?)")

    def fingerprint_of_token(self, token: str) -> str:
        row = VaultCard.get_or_none(VaultCard.token == token)
        return row.fingerprint if row else ""
