"""Recording and deciding contracts (CTR-1, CTR-2, DEAL-8): a contract on a deal signs the deal
(the deals domain listens), waits for the supervisor (and the GM above the policy amount), and is
refused or cancelled as a state — nothing is deleted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.contracts import rules
from poolcrm.contracts.access import lock_contract
from poolcrm.contracts.models import (
    APPROVED,
    CANCELLED,
    LEVEL_GM,
    LEVEL_SUPERVISOR,
    PENDING,
    REJECTED,
    Contract,
    ContractLine,
    Installment,
)
from poolcrm.contracts.rollup import count_signed
from poolcrm.contracts.schemas import ContractIn, LineIn
from poolcrm.contracts.signals import contract_signed, contract_voided
from poolcrm.customers.access import customer_for_read, sees_owned
from poolcrm.customers.models import IN_THE_CRM, Customer
from poolcrm.db import for_update
from poolcrm.deals import rules as deal_rules
from poolcrm.deals.models import Deal
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import acts_for, is_supervisor_of, role_holders
from poolcrm.policy.service import company_today, get_policy


def _customer_in_crm(session: Session, actor: User, customer_id: int, deal: Deal | None) -> Customer:
    """CTR-1 (003 §三.6): the customer exists in the CRM — not a pending, rejected, merged or deleted
    record — and the signer may see it: directly (another rep's private customer answers 404), or
    through the deal being signed (DSP-1/DSP-3: a deal on someone else's customer)."""
    customer = session.get(Customer, customer_id) if deal is not None else None
    if customer is None:
        customer = customer_for_read(session, actor, customer_id)
    if customer.pool not in IN_THE_CRM:
        raise RuleViolation("CTR-1", "合同只能登记在 CRM 中存在的客户名下（{name}）", name=customer.name)
    return customer


def _deal_for(session: Session, actor: User, deal_id: int, customer_id: int) -> Deal:
    """The deal to sign, under its row lock before anything is written: the contract row's foreign
    key would otherwise hold a share lock that two signings of one deal deadlock on (PostgreSQL)."""
    deal = session.get(Deal, deal_id)
    if deal is None or not sees_owned(session, actor, deal.owner_id, deal.customer_id):
        raise NotFound()
    deal = session.scalar(for_update(select(Deal).where(Deal.id == deal_id)))
    assert deal is not None
    if deal.customer_id != customer_id:
        raise InvalidInput({"customer_id": "须为该跟单的客户"}, rule="CTR-1")
    return deal


def _refuse_taken_number(session: Session, number: str) -> None:
    """CTR-1: a contract number is registered once (the unique index backs this up)."""
    taken = session.scalar(select(Contract.id).where(Contract.number == number))
    if taken is not None:
        raise Conflict(
            "合同编号 {contract_no} 已登记", rule="CTR-1", details={"contract_no": number}, contract_no=number
        )


def _insert_numbered(session: Session, contract: Contract) -> None:
    """CTR-1: the unique index settles two recordings of one number at the same moment — the later
    one answers 409 like the check above, never a 500 (a savepoint keeps the transaction usable)."""
    try:
        with session.begin_nested():
            session.add(contract)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "合同编号 {contract_no} 已登记",
            rule="CTR-1",
            details={"contract_no": contract.number},
            contract_no=contract.number,
        ) from exc


def _lines(data: ContractIn, deal: Deal | None) -> list[LineIn]:
    """CTR-2: the order lines given, or else the deal's products."""
    if data.lines is not None or deal is None:
        return list(data.lines or [])
    return [
        LineIn(product=p.name, model=p.model, quantity=p.quantity, unit_price=p.unit_price)
        for p in deal.products
    ]


def record_contract(session: Session, actor: User, data: ContractIn) -> Contract:
    """CTR-1/CTR-2/CTR-3: record a signed contract, its order lines and its installment plan, pending
    approval. On a deal it signs the deal at once (DEAL-8, through `contract_signed`)."""
    policy = get_policy(session)
    today = company_today(session)
    number = data.number.strip()
    deal = _deal_for(session, actor, data.deal_id, data.customer_id) if data.deal_id is not None else None
    lines = _lines(data, deal)
    problems = rules.contract_problems(
        number, data.amount, [rules.Line(x.product, x.quantity, x.unit_price) for x in lines]
    )
    signing = rules.signing_date_problem(data.signed_on, today, policy.contract_backdate_days)
    if signing:
        problems["signed_on"] = signing[1]
    rule = signing[0] if signing and len(problems) == 1 else "CTR-1"
    plan = [(i.due_on, i.amount) for i in data.installments] or [
        (data.signed_on + timedelta(days=policy.contract_default_payment_days), data.amount)
    ]
    if not problems:
        problems = rules.installment_problems(data.amount, data.signed_on, plan)
    if problems:
        raise InvalidInput(problems, rule=rule)
    customer = _customer_in_crm(session, actor, data.customer_id, deal)
    owner_id = deal.owner_id if deal is not None else customer.owner_id
    if not acts_for(session, actor, owner_id):
        raise Forbidden()
    _refuse_taken_number(session, number)
    now = clock.now()
    contract = Contract(
        number=number,
        customer_id=customer.id,
        deal_id=deal.id if deal is not None else None,
        owner_id=owner_id,
        created_by=actor.id,
        amount=data.amount,
        received=Decimal("0"),
        signed_on=data.signed_on,
        terms=data.terms.strip(),
        status=PENDING,
        approval_level=LEVEL_SUPERVISOR,
        before_signing=_before(deal, customer),
        created_at=now,
        updated_at=now,
    )
    _insert_numbered(session, contract)
    session.add_all(
        ContractLine(
            contract_id=contract.id,
            product=x.product.strip(),
            model=x.model,
            quantity=x.quantity,
            unit_price=x.unit_price,
            line_total=(x.quantity * x.unit_price).quantize(Decimal("0.01")),
            delivery_on=x.delivery_on,
        )
        for x in lines
    )
    session.add_all(
        Installment(
            contract_id=contract.id, seq=i, due_on=due, amount=part, received=Decimal("0"), settled=False
        )
        for i, (due, part) in enumerate(sorted(plan), start=1)
    )
    session.flush()
    session.refresh(contract)
    count_signed(session, contract)
    record(
        session,
        actor_id=actor.id,
        action="contract.create",
        object_type="contract",
        object_id=contract.id,
        after=contract_state(contract),
        rule="CTR-1",
    )
    if deal is not None:
        contract_signed.send(session, contract=contract, actor=actor)
    _ask_approvers(session, contract, LEVEL_SUPERVISOR)
    session.flush()
    return contract


def _before(deal: Deal | None, customer: Customer) -> dict[str, Any]:
    """What a refused contract gives back: the deal's open state and the customer's status."""
    state: dict[str, Any] = {"customer_status": customer.status}
    if deal is not None:
        state.update(category=deal.category, stage=deal.stage, status=deal.status)
    return state


def contract_state(contract: Contract) -> dict[str, Any]:
    return {
        "number": contract.number,
        "customer_id": contract.customer_id,
        "deal_id": contract.deal_id,
        "amount": str(contract.amount),
        "signed_on": contract.signed_on.isoformat(),
        "status": contract.status,
        "approval_level": contract.approval_level,
    }


def _approvers(session: Session, contract: Contract, level: str) -> list[int]:
    """CTR-1: the owner's supervisor at the first level (the GM when there is none), the GM above."""
    if level == LEVEL_SUPERVISOR and contract.owner_id is not None:
        owner = session.get(User, contract.owner_id)
        if (
            owner is not None
            and owner.supervisor_id is not None
            and owner.supervisor_id != contract.created_by
        ):
            return [owner.supervisor_id]
    return [uid for uid in role_holders(session, "gm") if uid != contract.created_by]


def _ask_approvers(session: Session, contract: Contract, level: str) -> None:
    for uid in _approvers(session, contract, level):
        notify(
            session,
            uid,
            "contract_to_approve",
            "合同 {number}（¥{amount}）待您审批",
            link=f"/contracts/{contract.id}",
            rule="CTR-1",
            dedupe_key=f"contract-approve:{contract.id}:{level}",
            number=contract.number,
            amount=f"{contract.amount:,.2f}",
        )


def _decidable(session: Session, actor: User, contract_id: int) -> Contract:
    """CTR-1: the contract is pending, the actor may decide at its level, and it is not their own."""
    contract = lock_contract(session, actor, contract_id, act=False)
    if contract.status != PENDING:
        raise Conflict(
            "该合同已处理（{state}）",
            rule="CTR-1",
            code="already_decided",
            state=rules.STATUS_LABELS[contract.status],
        )
    level = contract.approval_level or LEVEL_SUPERVISOR
    supervises = contract.owner_id is not None and is_supervisor_of(session, actor.id, contract.owner_id)
    if not org_rules.may_approve(level, actor.roles, supervises):
        raise Forbidden("只有主管（金额较大时为总经理）可以审批合同", rule="CTR-1")
    if actor.id == contract.created_by:
        raise Forbidden("不能审批自己登记的合同", rule="CTR-1")
    return contract


def approve_contract(session: Session, actor: User, contract_id: int) -> Contract:
    """CTR-1: the supervisor approves; from the policy amount the GM approves after the supervisor.
    The customer must still be in the CRM when approved (003: "否则不予审批")."""
    contract = _decidable(session, actor, contract_id)
    customer = session.get(Customer, contract.customer_id)
    if customer is None or customer.pool not in IN_THE_CRM:
        raise RuleViolation(
            "CTR-1", "合同只能登记在 CRM 中存在的客户名下（{name}）", name=customer.name if customer else ""
        )
    before = contract_state(contract)
    levels = org_rules.approval_levels(
        contract.amount, Decimal(get_policy(session).contract_gm_approval_amount)
    )
    is_gm = org_rules.manages_everyone(actor.roles)
    now = clock.now()
    if contract.approval_level == LEVEL_SUPERVISOR and LEVEL_GM in levels and not is_gm:
        contract.supervisor_approved_by = actor.id
        contract.approval_level = LEVEL_GM
    else:
        contract.status = APPROVED
        contract.approval_level = None
        contract.decided_by, contract.decided_at = actor.id, now
    contract.updated_at = now
    record(
        session,
        actor_id=actor.id,
        action="contract.approve",
        object_type="contract",
        object_id=contract.id,
        before=before,
        after=contract_state(contract),
        rule="CTR-1",
    )
    if contract.status == PENDING:
        _ask_approvers(session, contract, LEVEL_GM)
    else:
        _tell_creator(session, contract, "合同 {number} 已审批通过")
    session.flush()
    return contract


def reject_contract(session: Session, actor: User, contract_id: int, reason: str | None) -> Contract:
    """CTR-1: a refused contract is kept, with the reason; its deal reopens as it was (DEAL-8)."""
    if not reason or not reason.strip():
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="CTR-1")
    contract = _decidable(session, actor, contract_id)
    return _void(session, actor, contract, REJECTED, reason.strip(), "合同 {number} 被驳回：{reason}")


def cancel_contract(session: Session, actor: User, contract_id: int, reason: str | None) -> Contract:
    """CTR-1: an approved contract that is not fully paid may be cancelled (a state, with a reason)
    by the owner's supervisors, the GM or admin; its deal is then lost with that reason."""
    if not reason or not reason.strip():
        raise InvalidInput({"reason": "作废合同必须填写理由"}, rule="CTR-1")
    contract = lock_contract(session, actor, contract_id)
    if contract.status not in (PENDING, APPROVED):
        raise Conflict(
            "该合同不能作废（{state}）",
            rule="CTR-1",
            code="not_cancellable",
            state=rules.STATUS_LABELS[contract.status],
        )
    if actor.id == contract.owner_id and not org_rules.manages_everyone(actor.roles):
        raise Forbidden("合同作废须由主管或总经理办理", rule="CTR-1")
    return _void(session, actor, contract, CANCELLED, reason.strip(), "合同 {number} 已作废：{reason}")


def _void(
    session: Session, actor: User, contract: Contract, status: str, reason: str, message: str
) -> Contract:
    before = contract_state(contract)
    now = clock.now()
    count_signed(session, contract, -1)  # signed figures leave refused and cancelled contracts out
    contract.status, contract.approval_level = status, None
    contract.decided_by, contract.decided_at, contract.decision_reason = actor.id, now, reason
    contract.updated_at = now
    record(
        session,
        actor_id=actor.id,
        action=f"contract.{'reject' if status == REJECTED else 'cancel'}",
        object_type="contract",
        object_id=contract.id,
        before=before,
        after=contract_state(contract),
        rule="CTR-1",
        reason=reason,
    )
    if contract.deal_id is not None:
        contract_voided.send(session, contract=contract, actor=actor, reason=reason)
    _tell_creator(session, contract, message, reason=reason)
    session.flush()
    return contract


def _tell_creator(session: Session, contract: Contract, message: str, **params: Any) -> None:
    for uid in {contract.created_by, contract.owner_id} - {None}:
        assert uid is not None
        notify(
            session,
            uid,
            "contract_decided",
            message,
            link=f"/contracts/{contract.id}",
            rule="CTR-1",
            number=contract.number,
            **params,
        )


def sign_by_win(
    session: Session, actor: User, deal_id: int, actual_amount: Decimal | None, contract_no: str | None
) -> Contract:
    """DEAL-8 for scripts (`POST /deals/{id}/win`): record a contract of that number and amount, signed
    today, its lines taken from the deal and one installment due after the policy's payment term.
    The deal is signed at once; the contract waits for approval like any other and the deal is won
    when the approved contract is fully paid (CTR-1a)."""
    deal = session.get(Deal, deal_id)
    if deal is None or not sees_owned(session, actor, deal.owner_id, deal.customer_id):
        raise NotFound()
    problems = deal_rules.win_problems(actual_amount, contract_no)
    if problems:
        raise InvalidInput(problems, rule="DEAL-8")
    assert actual_amount is not None and contract_no is not None
    data = ContractIn(
        customer_id=deal.customer_id,
        deal_id=deal.id,
        number=contract_no,
        amount=actual_amount,
        signed_on=company_today(session),
        terms="",
        lines=None,
    )
    return record_contract(session, actor, data)
