"""Local users: a JSON file beside the warehouse, passwords hashed with scrypt and a salt.

Used when the dashboard is not configured for OIDC (`st.login`); with OIDC it maps a login's
e-mail to a role. The file (`<warehouse dir>/users.json`, owner-only permissions) holds, per
user: role, display name, optional e-mail, and `scrypt$n$r$p$salt$hash` (hex). Passwords are
never stored or logged; `verify` compares in constant time.

* **scrypt at OWASP's parameters** (N=2^17, r=8, p=1: 128 MiB and a fraction of a second per
  check). A hash made with weaker parameters is replaced on the user's next successful sign-in
  (`authenticate` rehashes it transparently).
* **Passwords** have at least MIN_PASSWORD_LENGTH characters (and at most MAX_PASSWORD_LENGTH,
  so a megabyte "password" costs nothing to refuse).
* **User names** are NFKC-normalised and lower-cased, then must be 2-64 characters of `a-z`,
  `0-9`, `.`, `_`, `-` starting with a letter or digit: `ａｄｍｉｎ` (full width) is `admin`, and
  `аdmin` (Cyrillic а) is refused, so no look-alike of a name can be created or signed in as.
* **Demo users** go only into the users file of a warehouse created as a demo
  (`warehouse.app.demo_mode`), each with a random password that `collections demo` prints once.

    collections users add alice --role manager      # asks for the password twice
    collections users passwd alice                  # a new password (ends a lock-out)
    collections users remove alice
    collections users list
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from warehouse.app.access import ROLES, User
from warehouse.config import owner_only, owner_only_umask

# OWASP Password Storage Cheat Sheet: scrypt with N=2^17 (128 MiB), r=8, p=1.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USERNAME_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

# The demo's users (`collections demo` creates them, with random passwords). Demo only.
DEMO_USERS = (
    ("demo-admin", "admin", "Demo admin"),
    ("demo-manager", "manager", "Demo manager"),
    ("demo-compliance", "compliance", "Demo compliance officer"),
    ("demo-analyst", "analyst", "Demo analyst"),
)
DEMO_NAMES = frozenset(name for name, _, _ in DEMO_USERS)


def users_path(db: Path) -> Path:
    return Path(db).resolve().parent / "users.json"


def normalise_username(text: str) -> str:
    """The user name `text` stands for (NFKC, trimmed, lower case), or ValueError saying why it
    cannot be one."""
    name = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not USERNAME_SHAPE.match(name):
        raise ValueError(
            "a user name is 2-64 characters: letters a-z, digits, '.', '_' or '-', starting with "
            "a letter or digit"
        )
    return name


def is_username(text: str) -> bool:
    try:
        normalise_username(text)
    except ValueError:
        return False
    return True


def check_new_password(password: str) -> None:
    """ValueError unless `password` may be set (long enough, not absurdly long)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
        maxmem=2 * 128 * n * r * p + 2**20,
    )  # fmt: skip


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` at the current parameters (SCRYPT_N, SCRYPT_R, SCRYPT_P)."""
    if not password:
        raise ValueError("a password may not be empty")
    salt = salt or secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, 32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def _parameters(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return None
        return int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(digest)
    except ValueError:
        return None


def check_password(password: str, stored: str) -> bool:
    found = _parameters(stored)
    if found is None or len(password) > MAX_PASSWORD_LENGTH:
        return False
    n, r, p, salt, digest = found
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(digest)), digest)


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made with weaker parameters than the current ones."""
    found = _parameters(stored)
    return found is None or (found[0], found[1], found[2]) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)


_DUMMY: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash at the current parameters to check unknown names against (made once)."""
    if SCRYPT_N not in _DUMMY:
        _DUMMY[SCRYPT_N] = hash_password(secrets.token_hex(16))
    return _DUMMY[SCRYPT_N]


@dataclass(frozen=True)
class UserRecord:
    username: str
    role: str
    display_name: str
    email: str | None
    password_hash: str

    def user(self, via: str = "local") -> User:
        return User(self.username, self.role, self.display_name, via)


def _email(text: str | None) -> str | None:
    if not text:
        return None
    return unicodedata.normalize("NFKC", text).strip().casefold() or None


class UsersFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8")).get("users", {})

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        with owner_only_umask():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"users": users}, handle, indent=2, sort_keys=True)
            owner_only(temporary)  # an older .tmp left with wider permissions
            os.replace(temporary, self.path)

    def records(self) -> list[UserRecord]:
        return [
            UserRecord(name, v["role"], v.get("display_name", ""), v.get("email"), v["password"])
            for name, v in sorted(self._read().items())
        ]

    def get(self, username: str) -> UserRecord | None:
        """The record of the name `username` stands for; None when it is no valid name or no
        user has it."""
        try:
            name = normalise_username(username)
        except ValueError:
            return None
        return next((r for r in self.records() if r.username == name), None)

    def add(
        self,
        username: str,
        password: str,
        role: str,
        *,
        display_name: str = "",
        email: str | None = None,
        replace: bool = False,
    ) -> UserRecord:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        name = normalise_username(username)
        check_new_password(password)
        users = self._read()
        if name in users and not replace:
            raise ValueError(f"user {name!r} exists already")
        entry = {"role": role, "display_name": display_name, "password": hash_password(password)}
        if _email(email):
            entry["email"] = str(_email(email))
        users[name] = entry
        self._write(users)
        return self.get(name)  # type: ignore[return-value]

    def set_password(self, username: str, password: str) -> UserRecord:
        """A new password for an existing user (KeyError when there is none)."""
        name = normalise_username(username)
        check_new_password(password)
        users = self._read()
        if name not in users:
            raise KeyError(f"no user {name!r}")
        users[name]["password"] = hash_password(password)
        self._write(users)
        return self.get(name)  # type: ignore[return-value]

    def remove(self, username: str) -> bool:
        try:
            name = normalise_username(username)
        except ValueError:
            return False
        users = self._read()
        found = users.pop(name, None) is not None
        if found:
            self._write(users)
        return found

    def authenticate(self, username: str, password: str) -> User | None:
        """The user, when `password` is theirs; None otherwise. A hash made with weaker
        parameters than today's is replaced by one at today's (transparent rehash)."""
        record = self.get(username)
        if record is None:
            # Same work as a real check, so a timing does not tell which names exist.
            check_password(password, _dummy_hash())
            return None
        if not check_password(password, record.password_hash):
            return None
        if needs_rehash(record.password_hash):
            users = self._read()
            if record.username in users:
                users[record.username]["password"] = hash_password(password)
                self._write(users)
        return record.user()

    def by_email(self, email: str | None) -> UserRecord | None:
        wanted = _email(email)
        if not wanted:
            return None
        return next((r for r in self.records() if _email(r.email) == wanted), None)

    def demo_users_only(self) -> bool:
        """True when every user in the file (if any) is one of the demo's."""
        return all(record.username in DEMO_NAMES for record in self.records())

    def ensure_demo_users(self, db: Path) -> dict[str, str]:
        """Create the demo users that are missing, each with a random password; returns
        {name: password} of those created (existing ones are never changed).

        Only for the users file of `db`, a warehouse created as a demo, and holding no user but
        the demo's: demo users never reach a real bank's users file.
        """
        from warehouse.app import demo_mode

        if users_path(db) != self.path.resolve():
            raise ValueError(f"{self.path} is not the users file of {db}")
        demo_mode.require_demo(db)
        if not self.demo_users_only():
            raise demo_mode.NotADemo(
                f"{self.path} holds users that are not the demo's: demo users go only into a "
                "demo warehouse's own users file"
            )
        existing = {r.username for r in self.records()}
        created: dict[str, str] = {}
        for username, role, display_name in DEMO_USERS:
            if username not in existing:
                password = secrets.token_urlsafe(12)
                self.add(username, password, role, display_name=display_name)
                created[username] = password
        return created
