"""The plan board (应急预案看板): open emergency plans with their forces, and the plan table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import SignedIn
from api.deps import get_dispatcher
from api.errors import problem_responses
from api.models import EmergencyPlanOut, Incident, PlanForceOut
from api.settings import Settings
from gridgis.dispatch import Dispatcher

__all__ = ["create_router"]

Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]


def emergencies(person: SignedIn, dispatcher: Dispatch,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[Incident]:
    """Open matters of your jurisdiction that started an emergency plan, red first.

    Each with its force (``emergency_forces``: per unit its status 待出发/已出发/
    已到场/超时未到/已收队 and the minutes left to its arrival limit), the
    kinds it lacks (``plan_shortfall``) and those overdue (``plan_late``).
    Unit staff see the plans their unit was sent to.
    """
    return [Incident(**i) for i in dispatcher.emergencies(person=person, limit=limit)]


def plans(dispatcher: Dispatch) -> list[EmergencyPlanOut]:
    """The district's emergency plans: the categories that start each, the units it sends."""
    return [EmergencyPlanOut(code=p.code, name_zh=p.name_zh, name=p.name,
                             categories=list(p.categories),
                             forces=[PlanForceOut(kind=f.kind, kind_name=f.kind_name,
                                                  count=f.count, arrive_minutes=f.arrive_minutes)
                                     for f in p.forces])
            for p in dispatcher.plans.values()]


def create_router(settings: Settings) -> APIRouter:
    """The plan board's routes."""
    router = APIRouter(tags=["emergencies"])
    router.get("/emergencies", response_model=list[Incident],
               responses=problem_responses(401, 403, 422, 503))(emergencies)
    router.get("/emergency-plans", response_model=list[EmergencyPlanOut])(plans)
    return router
