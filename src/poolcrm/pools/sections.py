"""The customer page's pool actions: apply to protect a public customer (POOL-4) and give up
one's own (POOL-5), each offered by the predicate the claim and the release run."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm.customers.models import POOL_PUBLIC, Customer
from poolcrm.errors import RuleViolation
from poolcrm.org.models import User
from poolcrm.pools.claim import has_pending_claim, is_claimer
from poolcrm.pools.release import release_refusal
from poolcrm.web.customer_page import Action, action


@action(order=5)
def claim(session: Session, user: User, customer: Customer) -> Action | None:
    if customer.pool != POOL_PUBLIC or not is_claimer(user):
        return None
    if has_pending_claim(session, user.id, customer.id):
        return Action(
            "已申请，等待客服审核", "", method="status", testid="action-claim-pending", rule="POOL-4"
        )
    href = f"/pools/customers/{customer.id}/claim"
    return Action("申请保护", href, method="htmx", testid="action-claim", primary=True, rule="POOL-4")


@action(order=90)
def release(session: Session, user: User, customer: Customer) -> Action | None:
    refusal = release_refusal(session, user, customer)
    if isinstance(refusal, RuleViolation):  # POOL-5: a request already waits — say so, don't offer it twice
        return Action(
            "放弃申请待主管同意", "", method="status", testid="action-release-pending", rule="POOL-5"
        )
    if refusal is not None:
        return None
    href = f"/pools/customers/{customer.id}/release"
    return Action("放弃", href, method="post", testid="action-release", reason="放弃原因", rule="POOL-5")
