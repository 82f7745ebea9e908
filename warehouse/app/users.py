"""Local users: a JSON file beside the warehouse, passwords hashed with scrypt and a salt.

Used when the dashboard is not configured for OIDC (`st.login`); with OIDC it maps a login's
e-mail to a role. The file (`<warehouse dir>/users.json`, owner-only permissions) holds, per
user: role, display name, optional e-mail, and `scrypt$n$r$p$salt$hash` (hex). Passwords are
never stored or logged; `verify` compares in constant time.

    collections users add alice --role manager      # asks for the password twice
    collections users list
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from warehouse.app.access import ROLES, User

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

# The demo's users (`collections demo` creates them; documented in the README). Demo only.
DEMO_USERS = (
    ("demo-admin", "admin", "Demo admin", "demo-admin"),
    ("demo-manager", "manager", "Demo manager", "demo-manager"),
    ("demo-compliance", "compliance", "Demo compliance officer", "demo-compliance"),
    ("demo-analyst", "analyst", "Demo analyst", "demo-analyst"),
)


def users_path(db: Path) -> Path:
    return Path(db).resolve().parent / "users.json"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    if not password:
        raise ValueError("a password may not be empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    found = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
        dklen=len(bytes.fromhex(digest)),
    )  # fmt: skip
    return hmac.compare_digest(found, bytes.fromhex(digest))


@dataclass(frozen=True)
class UserRecord:
    username: str
    role: str
    display_name: str
    email: str | None
    password_hash: str

    def user(self, via: str = "local") -> User:
        return User(self.username, self.role, self.display_name, via)


class UsersFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8")).get("users", {})

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"users": users}, handle, indent=2, sort_keys=True)
        os.replace(temporary, self.path)

    def records(self) -> list[UserRecord]:
        return [
            UserRecord(name, v["role"], v.get("display_name", ""), v.get("email"), v["password"])
            for name, v in sorted(self._read().items())
        ]

    def get(self, username: str) -> UserRecord | None:
        return next((r for r in self.records() if r.username == username), None)

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
        if (
            not username
            or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise ValueError(f"a user name is letters, digits, '-', '_' or '.'; got {username!r}")
        users = self._read()
        if username in users and not replace:
            raise ValueError(f"user {username!r} exists already")
        entry = {"role": role, "display_name": display_name, "password": hash_password(password)}
        if email:
            entry["email"] = email
        users[username] = entry
        self._write(users)
        return self.get(username)  # type: ignore[return-value]

    def remove(self, username: str) -> bool:
        users = self._read()
        found = users.pop(username, None) is not None
        if found:
            self._write(users)
        return found

    def authenticate(self, username: str, password: str) -> User | None:
        record = self.get(username)
        if record is None:
            # Same work as a real check, so a timing does not tell which names exist.
            check_password(password, hash_password("x" * 8, salt=b"0" * 16))
            return None
        return record.user() if check_password(password, record.password_hash) else None

    def by_email(self, email: str | None) -> UserRecord | None:
        if not email:
            return None
        wanted = email.strip().lower()
        return next((r for r in self.records() if (r.email or "").lower() == wanted), None)

    def ensure_demo_users(self) -> None:
        """Create the documented demo users that are missing (never changes existing ones)."""
        existing = {r.username for r in self.records()}
        for username, role, display_name, password in DEMO_USERS:
            if username not in existing:
                self.add(username, password, role, display_name=display_name)
