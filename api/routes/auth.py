"""Sign in (OAuth2 password flow) and say who is signed in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import SignedIn, TokenIssuer
from api.errors import problem_responses
from api.models import Me, Token
from api.ratelimit import RateLimits
from api.settings import Settings
from gridgis.errors import SignInError
from gridgis.people.passwords import verify_password
from gridgis.people.staff import StaffMember

__all__ = ["create_router", "describe"]


def describe(person: StaffMember) -> Me:
    """What the console needs to know of the signed-in person."""
    return Me(staff_id=person.staff_id, name=person.name, role=person.role.value,
              title=person.title, grade=person.grade.value if person.grade else None,
              area_code=person.area_code, unit_id=person.unit_id, grids=list(person.grids))


def create_router(settings: Settings, limits: RateLimits) -> APIRouter:
    """``POST /auth/token`` (limited by ``GRIDGIS_SIGNIN_PER_MINUTE``) and ``/auth/me``."""
    router = APIRouter(prefix="/auth", tags=["auth"])
    throttle = Depends(limits.dependency("signin", settings.signin_per_minute))
    answers = problem_responses(400, 401, 413, 422, 429, 503)
    answers[401]["description"] = "工号或密码不对，或账号已停用 / wrong staff id or password, " \
                                  "or the account is disabled"

    @router.post("/token", response_model=Token, dependencies=[throttle],
                 responses=answers)
    def sign_in(request: Request,
                form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
        """Sign in with staff id and password; answers a bearer token."""
        staff = request.app.state.dispatcher.store.staff
        stored = staff.password_hash(form.username[:64])
        if not verify_password(form.password[:256], stored):
            raise SignInError("工号或密码不对，或账号已停用 / wrong staff id or password, or "
                              "the account is disabled")
        person = staff.find(form.username)
        assert person is not None  # an active person has a hash
        issuer: TokenIssuer = request.app.state.tokens
        return {"access_token": issuer.issue(person), "token_type": "bearer",
                "expires_in": issuer.minutes * 60, "me": describe(person)}

    @router.get("/me", response_model=Me, responses=problem_responses(401, 503))
    def me(person: SignedIn) -> Me:
        """The signed-in person: role, jurisdiction, grids or unit."""
        return describe(person)

    return router
