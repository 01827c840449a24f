"""The editable deal tables (DEAL-2, DEAL-3): stages with their probabilities, category stage ranges."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import reference
from poolcrm.deals import rules
from poolcrm.deals.models import (
    DealCategoryRule,
    DealStage,
)
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.org.models import User

_STAGES_KEY = "poolcrm.deal_stages"


def stage_table(session: Session) -> list[rules.StageDef]:
    """DEAL-3: the stage table in force — stored rows over the seed's defaults; reference data like
    the policy (`db.reference`: read once per process while nobody changes it — a page's deal
    cards and sections each ask for it)."""
    return list(reference(session, _STAGES_KEY, lambda: _load_stages(session)))


def _load_stages(session: Session) -> tuple[rules.StageDef, ...]:
    stored = {row.stage: row for row in session.scalars(select(DealStage))}
    return tuple(
        rules.StageDef(row.stage, row.probability, row.customer_desc, row.agent_desc) if row else default
        for default in rules.DEFAULT_STAGES
        for row in [stored.get(default.stage)]
    )


def probabilities(session: Session) -> dict[int, int]:
    return {s.stage: s.probability for s in stage_table(session)}


def category_rules(session: Session) -> dict[str, rules.CategoryRule]:
    """DEAL-2: the category floors/ceilings in force — stored rows over the defaults."""
    merged = dict(rules.DEFAULT_CATEGORY_RULES)
    for row in session.scalars(select(DealCategoryRule)):
        merged[row.category] = rules.CategoryRule(row.min_stage, row.max_stage)
    return merged


def set_stage(
    session: Session, actor: User, stage: int, probability: int, customer_desc: str, agent_desc: str
) -> rules.StageDef:
    """DEAL-3: an admin edits one row of the stage table (audited)."""
    current = stage_table(session)
    if not rules.MIN_STAGE <= stage <= rules.MAX_STAGE:
        raise NotFound()
    new = rules.StageDef(stage, probability, customer_desc.strip(), agent_desc.strip())
    table = [new if s.stage == stage else s for s in current]
    problem = rules.stage_table_problem(table)
    if problem:
        raise InvalidInput({"probability": problem}, problem, rule="DEAL-3")
    row = session.get(DealStage, stage)
    before = current[stage].__dict__.copy()
    if row is None:
        row = DealStage(stage=stage)
        session.add(row)
    row.probability, row.customer_desc, row.agent_desc = new.probability, new.customer_desc, new.agent_desc
    row.updated_at, row.updated_by = clock.now(), actor.id
    session.flush()  # the session reads the new table from here on (`db.reference`)
    record(
        session,
        actor_id=actor.id,
        action="deal_stage.update",
        object_type="deal_stage",
        object_id=stage,
        before=before,
        after=new.__dict__.copy(),
        rule="DEAL-3",
    )
    session.flush()
    return new


def set_category_rule(
    session: Session, actor: User, category: str, min_stage: int, max_stage: int
) -> rules.CategoryRule:
    """DEAL-2: an admin edits a category's stage floor and ceiling (audited)."""
    if category not in rules.CATEGORIES:
        raise NotFound()
    current = category_rules(session)
    new = rules.CategoryRule(min_stage, max_stage)
    problem = rules.category_rules_problem({**current, category: new})
    if problem:
        raise InvalidInput({"min_stage": problem}, problem, rule="DEAL-2")
    row = session.get(DealCategoryRule, category)
    if row is None:
        row = DealCategoryRule(category=category)
        session.add(row)
    row.min_stage, row.max_stage = min_stage, max_stage
    row.updated_at, row.updated_by = clock.now(), actor.id
    record(
        session,
        actor_id=actor.id,
        action="deal_category.update",
        object_type="deal_category",
        object_id=category,
        before=current[category].__dict__.copy(),
        after=new.__dict__.copy(),
        rule="DEAL-2",
    )
    session.flush()
    return new
