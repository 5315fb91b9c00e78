from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash to verify against when the username is unknown, so timing doesn't
# reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


_limiters: dict[int, object] = {}


def _limiter():
    """At most two hashes at a time per worker: each argon2 check takes 64 MiB and tens of
    milliseconds, so a burst of sign-ins can neither exhaust memory nor stall the event loop."""
    import asyncio

    import anyio

    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _limiters:
        _limiters[loop_id] = anyio.CapacityLimiter(2)
    return _limiters[loop_id]


async def check_password(password_hash: str | None, password: str) -> bool:
    """verify_password off the event loop."""
    import anyio

    return await anyio.to_thread.run_sync(verify_password, password_hash, password, limiter=_limiter())
