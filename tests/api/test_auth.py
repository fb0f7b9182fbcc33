"""Authentication: forged, stale and revoked tokens, login throttling, the signing secret."""

from __future__ import annotations

import secrets
import stat
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.ratelimit import ADDRESS_FACTOR
from api.security import InsecureSecret, check_secret, load_jwt_secret
from api.services import Services
from api.store import LoginThrottleRow
from dockerdeployer.wiring import build_app
from foundation.settings import Settings
from tests.api.conftest import PASSWORD, login
from tests.api.helpers import assert_refused, bearer, forge, swap_payload

# Any public key will do: the point is a server that takes the header's word for the algorithm
# would verify an HS256 signature made with it.
PUBLIC_KEY_PEM = (
    b"-----BEGIN PUBLIC KEY-----\n"
    b"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcvJXj3V7jxgYfDc4P0lq0kzW6m5P\n"
    b"hT0wJ6cL0vQ7C2i1d8m4cQf9yq3oXl4b2uXo9w1qY1oT7N8cVx2m9f3k4A==\n"
    b"-----END PUBLIC KEY-----\n"
)


@pytest.fixture(scope="module")
def claims(services: Services) -> Callable[..., dict[str, Any]]:
    """Claims exactly like the server's own for the viewer, with changes applied."""

    def make(**changes: Any) -> dict[str, Any]:
        now = int(time.time())
        data: dict[str, Any] = {
            "sub": "victor",
            "role": "viewer",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "iss": services.settings.jwt_issuer,
            "aud": services.settings.jwt_audience,
            "jti": secrets.token_hex(16),
            "sep": 0,
        }
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    return make


def me(client: TestClient, token: str) -> Any:
    return client.get("/api/auth/me", headers=bearer(token))


def test_a_token_forged_here_with_the_real_key_is_accepted(client, services, claims):
    # The control for the forgeries below: the forging helper itself makes valid tokens.
    response = me(client, forge(claims(), services.tokens.secret))
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "victor", "role": "viewer", "kind": "user"}


@pytest.mark.parametrize(
    "case",
    [
        "alg_none",
        "wrong_key",
        "hs256_with_public_key",
        "hs384_real_key",
        "rs256_header",
        "expired",
        "no_exp",
        "no_iat",
        "no_nbf",
        "no_jti",
        "no_sub",
        "future_nbf",
        "wrong_aud",
        "no_aud",
        "wrong_iss",
        "no_iss",
        "exp_not_a_number",
        "unknown_user",
        "far_future_exp",
        "lifetime_over_ttl",
        "no_session_epoch",
        "old_session_epoch",
        "iat_in_the_future",
    ],
)
def test_forged_or_incomplete_tokens_get_401(client, services, claims, case):
    key = services.tokens.secret
    now = int(time.time())
    token = {
        "alg_none": lambda: forge(claims(role="admin"), b"", alg="none"),
        "wrong_key": lambda: forge(claims(), secrets.token_bytes(48)),
        "hs256_with_public_key": lambda: forge(claims(), PUBLIC_KEY_PEM),
        "hs384_real_key": lambda: forge(claims(), key, alg="HS384"),
        "rs256_header": lambda: forge(claims(), key, alg="RS256"),
        "expired": lambda: forge(claims(iat=now - 7200, nbf=now - 7200, exp=now - 3600), key),
        "no_exp": lambda: forge(claims(exp=None), key),
        "no_iat": lambda: forge(claims(iat=None), key),
        "no_nbf": lambda: forge(claims(nbf=None), key),
        "no_jti": lambda: forge(claims(jti=None), key),
        "no_sub": lambda: forge(claims(sub=None), key),
        "future_nbf": lambda: forge(claims(nbf=now + 3600), key),
        "wrong_aud": lambda: forge(claims(aud="someone-else"), key),
        "no_aud": lambda: forge(claims(aud=None), key),
        "wrong_iss": lambda: forge(claims(iss="evil"), key),
        "no_iss": lambda: forge(claims(iss=None), key),
        "exp_not_a_number": lambda: forge(claims(exp="never"), key),
        "unknown_user": lambda: forge(claims(sub="nobody"), key),
        # Signed with the real key but living longer than the configured TTL: was accepted.
        "far_future_exp": lambda: forge(claims(exp=now + 10 * 365 * 86400), key),
        "lifetime_over_ttl": lambda: forge(claims(exp=now + services.tokens.ttl + 60), key),
        "no_session_epoch": lambda: forge(claims(sep=None), key),
        "old_session_epoch": lambda: forge(claims(sep=-1), key),
        "iat_in_the_future": lambda: forge(claims(iat=now + 3600, exp=now + 3700), key),
    }[case]()
    body = assert_refused(me(client, token), 401)
    assert body["code"] == "unauthenticated"
    if case == "expired":
        assert "expired" in body["detail"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer ....",
        "Bearer " + "A" * 10_000,
        "Bearer ddb_" + "x" * 43,
        "Bearer ddb_",
        "bearer eyJhbGciOiJub25lIn0.e30.",
    ],
)
def test_missing_and_garbage_credentials_get_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/containers", headers=headers)
    body = assert_refused(response, 401)
    assert response.headers.get("www-authenticate") == "Bearer"
    assert body["code"] == "unauthenticated"


def test_non_ascii_authorization_header_gets_401(client):
    response = client.get(
        "/api/containers", headers={"Authorization": "Bearer é.ü.ß".encode("latin-1")}
    )
    assert_refused(response, 401)


def test_role_tampered_in_a_viewers_token_is_refused(client, user_headers):
    token = user_headers["viewer"]["Authorization"].removeprefix("Bearer ")
    tampered = swap_payload(token, role="admin", sub="alice")
    assert_refused(client.get("/api/users", headers=bearer(tampered)), 401)
    assert_refused(client.get("/api/users", headers=user_headers["viewer"]), 403)


def test_the_role_comes_from_the_database_not_the_token(client, services, claims):
    # Even signed with the real key, a role claim cannot raise what the account may do.
    token = forge(claims(role="admin"), services.tokens.secret)
    assert me(client, token).json()["role"] == "viewer"
    assert_refused(client.get("/api/users", headers=bearer(token)), 403)


def test_a_signed_out_token_is_refused(client, services):
    services.accounts.add_user("leaver", PASSWORD, "operator")
    headers = login(client, "leaver")
    assert client.get("/api/auth/me", headers=headers).status_code == 200

    assert client.post("/api/auth/logout", headers=headers).status_code == 204

    body = assert_refused(client.get("/api/auth/me", headers=headers), 401)
    assert "signed out" in body["detail"]
    assert_refused(client.post("/api/auth/logout", headers=headers), 401)
    assert client.get("/api/auth/me", headers=login(client, "leaver")).status_code == 200


def test_a_disabled_users_token_stops_working_at_once(client, services, user_headers):
    services.accounts.add_user("quitter", PASSWORD, "viewer")
    headers = login(client, "quitter")
    response = client.patch(
        "/api/users/quitter", json={"disabled": True}, headers=user_headers["admin"]
    )
    assert response.status_code == 200, response.text
    assert_refused(client.get("/api/auth/me", headers=headers), 401)


def test_bot_tokens_unknown_and_revoked_get_401(client, user_headers):
    created = client.post(
        "/api/tokens",
        json={"name": "ci-revoked", "role": "operator"},
        headers=user_headers["admin"],
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert client.get("/api/auth/me", headers=bearer(token)).json()["kind"] == "bot"
    listed = client.get("/api/tokens", headers=user_headers["admin"]).json()
    assert all("token" not in row and "token_hash" not in row for row in listed)

    revoked = client.delete(f"/api/tokens/{created.json()['id']}", headers=user_headers["admin"])
    assert revoked.status_code == 204

    body = assert_refused(client.get("/api/auth/me", headers=bearer(token)), 401)
    assert "bot token" in body["detail"]
    assert_refused(client.get("/api/auth/me", headers=bearer(token[:-1] + "A")), 401)


def test_logout_with_a_bot_token_explains_how_to_revoke(client, bot_headers):
    body = assert_refused(client.post("/api/auth/logout", headers=bot_headers["operator"]), 400)
    assert "/api/tokens" in body["detail"]


# --- login ----------------------------------------------------------------------------------------


def test_login_wrong_password_and_unknown_user_look_the_same(client, services):
    services.accounts.add_user("paula", PASSWORD, "viewer")
    wrong = client.post("/api/auth/login", json={"username": "paula", "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert_refused(wrong, 401)
    assert_refused(unknown, 401)
    assert wrong.json() == unknown.json()


def test_login_returns_a_bearer_token(client):
    response = client.post("/api/auth/login", json={"username": "victor", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert client.get("/api/auth/me", headers=bearer(body["access_token"])).status_code == 200


def test_brute_force_on_one_user_locks_that_user_from_that_address_only(client, services):
    # Was: five failures from anywhere locked the user out everywhere (anyone could lock out
    # the admin). Now the lock is per (user, address).
    services.accounts.add_user("target", PASSWORD, "viewer")
    attempts = services.settings.login_attempts
    wrong = {"username": "target", "password": "x"}
    right = {"username": "target", "password": PASSWORD}
    with TestClient(client.app, client=("10.1.0.1", 40000)) as stranger:
        for _ in range(attempts):
            assert_refused(stranger.post("/api/auth/login", json=wrong), 401)
        # From the stranger's address even the right password waits.
        response = stranger.post("/api/auth/login", json=right)
        assert_refused(response, 429)
        assert int(response.headers["Retry-After"]) > 0
    with TestClient(client.app, client=("10.1.1.1", 40000)) as owner:
        response = owner.post("/api/auth/login", json=right)
    assert response.status_code == 200, response.text


def test_brute_force_from_one_address_is_throttled_for_every_user(client, services):
    attempts = services.settings.login_attempts * ADDRESS_FACTOR
    with TestClient(client.app, client=("10.2.0.1", 40000)) as attacker:
        for n in range(attempts):
            response = attacker.post(
                "/api/auth/login", json={"username": f"guess{n}", "password": "x"}
            )
            assert_refused(response, 401)
        response = attacker.post(
            "/api/auth/login", json={"username": "oscar", "password": PASSWORD}
        )
        body = assert_refused(response, 429)
        assert "retry" in body["detail"]
        assert int(response.headers["Retry-After"]) > 0
    # The same account from elsewhere still signs in.
    with TestClient(client.app, client=("10.2.0.2", 40000)) as elsewhere:
        response = elsewhere.post(
            "/api/auth/login", json={"username": "oscar", "password": PASSWORD}
        )
    assert response.status_code == 200


# --- the signing secret ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "short",
        "x" * 31,
        "a" * 64,  # long but one character
        "change-me-change-me-change-me-change-me",
        "my-super-secret-jwt-signing-key-0123456789",
        # Fixed values: xdist workers must collect the same test IDs.
        "placeholder-" + "q7Zt0vX2mLk9pR4sW8yB1nC6dF3gH5jA0eU2iO7tY9w",
        "CHANGEME" + "Rk3Lm8Np2Qs7Tv1Wx6Yz0Ab5Cd9Ef4Gh8Ij3Kl7Mn2P",
    ],
)
def test_weak_or_placeholder_secrets_are_refused(secret):
    with pytest.raises(InsecureSecret) as caught:
        check_secret(secret)
    assert "DOCKERDEPLOYER_JWT_SECRET" in str(caught.value)


def test_a_strong_secret_is_accepted():
    secret = secrets.token_urlsafe(48)
    assert check_secret(secret) == secret.encode()


def test_startup_refuses_a_weak_configured_secret(tmp_path):
    settings = Settings(home=tmp_path, jwt_secret="changeme", _env_file=None)
    with pytest.raises(InsecureSecret):
        build_app(settings)


def test_startup_refuses_a_short_secret_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERDEPLOYER_JWT_SECRET", "Zx9-short-Qw")
    settings = Settings(home=tmp_path, _env_file=None)
    with pytest.raises(InsecureSecret):
        load_jwt_secret(settings)


def test_a_generated_secret_is_private_and_stable(tmp_path):
    settings = Settings(home=tmp_path / "home", _env_file=None)
    first = load_jwt_secret(settings)
    path = tmp_path / "home" / "jwt_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert len(first) >= 32
    assert load_jwt_secret(settings) == first


def test_refused_logins_do_not_pile_up(client, services):
    # Once an address is throttled, each further try names a new user; none may be kept.
    def rows() -> int:
        with services.accounts.sessions() as session:
            return session.scalar(select(func.count()).select_from(LoginThrottleRow)) or 0

    with TestClient(client.app, client=("10.3.0.1", 40000)) as attacker:
        for n in range(services.settings.login_attempts * ADDRESS_FACTOR):
            attacker.post("/api/auth/login", json={"username": f"spray{n}", "password": "x"})
        held = rows()
        for n in range(50):
            response = attacker.post(
                "/api/auth/login", json={"username": f"spray-more-{n}", "password": "x"}
            )
            assert response.status_code == 429
    assert rows() == held
