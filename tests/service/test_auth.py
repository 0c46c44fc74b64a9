"""Sign-in: the password form, tokens that expire or are forged, disabled accounts, limits."""

from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest
from fastapi.testclient import TestClient

import api.auth
from api import create_app
from api.settings import Settings
from gridgis.people.passwords import hash_password

PASSWORD = "值班2026-duty"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once for the module


@pytest.fixture
def signed(app, desk, password_hash):
    """The county person with a password, and an anonymous client."""
    app.state.dispatcher.store.staff.set_password_hash(desk.county.staff_id, password_hash)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, desk.county.staff_id


def _sign_in(client, staff_id, password):
    return client.post("/auth/token", data={"username": staff_id, "password": password})


def test_the_password_form_answers_a_bearer_token(signed):
    client, staff_id = signed
    r = _sign_in(client, staff_id, PASSWORD)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 480 * 60
    assert body["me"]["staff_id"] == staff_id and body["me"]["title"] == "县(区)综治中心"
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "command_centre"


@pytest.mark.parametrize(("who", "password"), [("self", "wrong-password-1"),
                                               ("nobody", PASSWORD), ("self", "")])
def test_a_wrong_name_or_password_is_401_saying_neither_which(signed, who, password):
    client, staff_id = signed
    r = _sign_in(client, staff_id if who == "self" else "nobody99", password)
    assert r.status_code in (401, 422)
    if r.status_code == 401:
        assert "工号或密码不对" in r.json()["detail"] and r.headers["www-authenticate"] == "Bearer"


def test_a_disabled_account_stops_at_once(signed, app):
    client, staff_id = signed
    token = _sign_in(client, staff_id, PASSWORD).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/incidents", headers=bearer).status_code == 200
    app.state.dispatcher.store.staff.set_active(staff_id, False)
    r = client.get("/incidents", headers=bearer)
    assert r.status_code == 401 and "停用" in r.json()["detail"]
    assert _sign_in(client, staff_id, PASSWORD).status_code == 401


def test_expired_forged_and_malformed_tokens_are_401(signed, app):
    client, staff_id = signed
    person = app.state.dispatcher.store.staff.find(staff_id)
    old = app.state.tokens.issue(person, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    r = client.get("/incidents", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and "过期" in r.json()["detail"]
    forged = jwt.encode({"sub": staff_id, "iat": dt.datetime.now(dt.UTC),
                         "exp": dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)},
                        "another key of at least thirty-two characters", algorithm="HS256")
    unsigned = jwt.encode({"sub": staff_id}, None, algorithm="none")
    for token in (forged, unsigned, "not-a-token", "a.b.c"):
        r = client.get("/incidents", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token


def test_a_remembered_token_is_still_refused_once_expired(signed, app, monkeypatch):
    client, staff_id = signed
    token = _sign_in(client, staff_id, PASSWORD).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/auth/me", headers=bearer).status_code == 200  # verified, remembered
    assert token in app.state.tokens._verified
    later = time.time() + 481 * 60  # the token lasts 480 minutes

    class Later:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(api.auth, "time", Later)
    r = client.get("/auth/me", headers=bearer)
    assert r.status_code == 401 and "过期" in r.json()["detail"]
    monkeypatch.undo()
    # a token differing in one byte is checked afresh, not matched to the remembered one
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {tampered}"}
                      ).status_code == 401


def test_tokens_survive_a_restart_only_with_a_configured_key(small_layers, store, desk):
    key = "k" * 40
    first = create_app(Settings(secret_key=key), layers=small_layers, store=store)
    token = first.state.tokens.issue(desk.county)
    second = create_app(Settings(secret_key=key), layers=small_layers, store=store)
    other = create_app(Settings(), layers=small_layers, store=store)
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(second) as c:
        assert c.get("/auth/me", headers=bearer).status_code == 200
    with TestClient(other, raise_server_exceptions=False) as c:
        assert c.get("/auth/me", headers=bearer).status_code == 401


def test_sign_in_attempts_are_limited_per_client(small_layers, store, desk):
    app = create_app(Settings(signin_per_minute=3), layers=small_layers, store=store)
    with TestClient(app, raise_server_exceptions=False) as c:
        codes = [_sign_in(c, desk.county.staff_id, "wrong-password-1").status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        r = _sign_in(c, desk.county.staff_id, PASSWORD)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "请求过于频繁" in r.json()["detail"]


def test_a_cross_site_form_cannot_run_supervision(anonymous):
    r = anonymous.post("/supervision", data={"x": "1"},
                       headers={"origin": "https://elsewhere.example"})
    assert r.status_code == 401
