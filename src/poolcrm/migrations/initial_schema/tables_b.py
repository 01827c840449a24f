"""Initial schema, second half of the tables, the cross-table key and the audit guards (upgrade)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import poolcrm.db
from poolcrm.audit.models import install_guards


def create_01() -> None:
    op.create_table(
        "customer_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("changes", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "approvals", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=False
        ),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_requests_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_customer_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_customer_requests_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_requests")),
    )

    with op.batch_alter_table("customer_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_requests_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_customer_requests_status", ["status", "kind"], unique=False)


def create_02() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=48), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel_customer_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("max_stage", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("expected_close_on", sa.Date(), nullable=False),
        sa.Column("intention", sa.String(length=50), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("purchase_reason", sa.Text(), nullable=False),
        sa.Column("purchase_form", sa.Text(), nullable=False),
        sa.Column("budget", sa.Text(), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("execution_time", sa.Text(), nullable=False),
        sa.Column("competitors", sa.Text(), nullable=False),
        sa.Column("actual_amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("contract_no", sa.String(length=64), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("credited_to", sa.Integer(), nullable=True),
        sa.Column("credit_rule", sa.String(length=12), nullable=True),
        sa.Column("dispute_needed", sa.Boolean(), nullable=False),
        sa.Column("last_activity_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_customer_id"], ["customers.id"], name=op.f("fk_deals_channel_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_deals_created_by_users")),
        sa.ForeignKeyConstraint(["credited_to"], ["users.id"], name=op.f("fk_deals_credited_to_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_deals_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_deals_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("customer_id", "seq", name="uq_deals_customer_seq"),
        sa.UniqueConstraint("number", name=op.f("uq_deals_number")),
    )

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index("ix_deals_category_activity", ["category", "last_activity_at"], unique=False)
        batch_op.create_index("ix_deals_contract_no", ["contract_no"], unique=False)
        batch_op.create_index("ix_deals_owner_category", ["owner_id", "category"], unique=False)


def create_03() -> None:
    op.create_table(
        "inbound_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("need", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=12), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=True),
        sa.Column("matches", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=True),
        sa.Column("skipped", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_inbound_items_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_inbound_items_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_inbound_items_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_items")),
    )

    with op.batch_alter_table("inbound_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_items_assigned_created", ["assigned_to", "created_at"], unique=False
        )
        batch_op.create_index("ix_inbound_items_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_items_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "ownership_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("from_owner_id", sa.Integer(), nullable=True),
        sa.Column("to_owner_id", sa.Integer(), nullable=True),
        sa.Column("from_pool", sa.String(length=12), nullable=True),
        sa.Column("to_pool", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_ownership_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_ownership_events_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["from_owner_id"], ["users.id"], name=op.f("fk_ownership_events_from_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["to_owner_id"], ["users.id"], name=op.f("fk_ownership_events_to_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_events")),
    )

    with op.batch_alter_table("ownership_events", schema=None) as batch_op:
        batch_op.create_index("ix_ownership_customer_at", ["customer_id", "at"], unique=False)
        batch_op.create_index("ix_ownership_from_owner", ["from_owner_id", "customer_id"], unique=False)


def create_04() -> None:
    op.create_table(
        "allocation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result_rule", sa.String(length=20), nullable=True),
        sa.Column("result_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_allocation_items_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_allocation_items_from_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["allocation_plans.id"], name=op.f("fk_allocation_items_plan_id_allocation_plans")
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_allocation_items_to_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_items")),
    )

    with op.batch_alter_table("allocation_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_items_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_allocation_items_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "customer_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column(
            "old_value", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=True
        ),
        sa.Column(
            "new_value", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=True
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_customer_changes_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_changes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["customer_requests.id"],
            name=op.f("fk_customer_changes_request_id_customer_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_changes")),
    )

    with op.batch_alter_table("customer_changes", schema=None) as batch_op:
        batch_op.create_index("ix_customer_changes_customer_at", ["customer_id", "at"], unique=False)


def create_05() -> None:
    op.create_table(
        "deal_category_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_deal_category_history_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_category_history_deal_id_deals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_category_history")),
    )

    with op.batch_alter_table("deal_category_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_category_history_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "deal_months",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("yyyymm", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("max_stage", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("cycle_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_months_deal_id_deals")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_deal_months_owner_id_users")),
        sa.PrimaryKeyConstraint("deal_id", "yyyymm", name=op.f("pk_deal_months")),
    )

    with op.batch_alter_table("deal_months", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deal_months_month_owner",
            ["yyyymm", "owner_id", "category", "stage", "max_stage", "amount", "cycle_days"],
            unique=False,
        )

    op.create_table(
        "deal_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_products_deal_id_deals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_products")),
    )

    with op.batch_alter_table("deal_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_products_deal_id"), ["deal_id"], unique=False)


def create_06() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("other_customer_id", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column(
            "claimants", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=False
        ),
        sa.Column("recommended_user_id", sa.Integer(), nullable=True),
        sa.Column("recommendation_rule", sa.String(length=12), nullable=False),
        sa.Column("recommendation_note", sa.Text(), nullable=False),
        sa.Column(
            "evidence", sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"), nullable=False
        ),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("opened_reason", sa.Text(), nullable=True),
        sa.Column("winner_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_disputes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_disputes_deal_id_deals")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_disputes_decided_by_users")),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_disputes_opened_by_users")),
        sa.ForeignKeyConstraint(
            ["other_customer_id"], ["customers.id"], name=op.f("fk_disputes_other_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["recommended_user_id"], ["users.id"], name=op.f("fk_disputes_recommended_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["winner_user_id"], ["users.id"], name=op.f("fk_disputes_winner_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )

    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index("ix_disputes_customer", ["customer_id"], unique=False)
        batch_op.create_index("ix_disputes_deal", ["deal_id"], unique=False)
        batch_op.create_index("ix_disputes_status", ["status"], unique=False)


def create_07() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("contact_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("attitude", sa.String(length=10), nullable=True),
        sa.Column("result_status", sa.String(length=20), nullable=True),
        sa.Column("next_followup_on", sa.Date(), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column(
            "invalid_reasons",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.Column("reminded_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("remind_user_id", sa.Integer(), nullable=True),
        sa.Column("spot_check", sa.String(length=10), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_followups_author_id_users")),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_followups_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_followups_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["remind_user_id"], ["users.id"], name=op.f("fk_followups_remind_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )

    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index("ix_followups_author_created", ["author_id", "created_at"], unique=False)
        batch_op.create_index("ix_followups_customer_created", ["customer_id", "created_at"], unique=False)
        batch_op.create_index("ix_followups_customer_key", ["customer_id", "content_key"], unique=False)
        batch_op.create_index(
            "ix_followups_invalid_created",
            ["created_at", "author_id"],
            unique=False,
            sqlite_where=sa.text("valid = 0"),
            postgresql_where=sa.text("valid = false"),
        )
        batch_op.create_index("ix_followups_next", ["next_followup_on"], unique=False)


def create_08() -> None:
    op.create_table(
        "deal_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("next_plan", sa.Text(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("counts_as_contact", sa.Boolean(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column(
            "invalid_reasons",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=False,
        ),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_deal_progress_author_id_users")),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_progress_deal_id_deals")),
        sa.ForeignKeyConstraint(
            ["followup_id"], ["followups.id"], name=op.f("fk_deal_progress_followup_id_followups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_progress")),
    )

    with op.batch_alter_table("deal_progress", schema=None) as batch_op:
        batch_op.create_index("ix_deal_progress_created_author", ["created_at", "author_id"], unique=False)
        batch_op.create_index("ix_deal_progress_deal_created", ["deal_id", "created_at"], unique=False)

    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.Integer(), nullable=True),
        sa.Column("checked_at", poolcrm.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", poolcrm.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_spot_checks_author_id_users")),
        sa.ForeignKeyConstraint(["checked_by"], ["users.id"], name=op.f("fk_spot_checks_checked_by_users")),
        sa.ForeignKeyConstraint(
            ["followup_id"], ["followups.id"], name=op.f("fk_spot_checks_followup_id_followups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
        sa.UniqueConstraint("followup_id", name=op.f("uq_spot_checks_followup_id")),
    )

    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.create_index("ix_spot_checks_status_day", ["status", "day"], unique=False)

    # ### end Alembic commands ###
    if op.get_bind().dialect.name == "postgresql":  # SQLite keeps this cycle-breaking key inline
        op.create_foreign_key(
            op.f("fk_departments_head_user_id_users"), "departments", "users", ["head_user_id"], ["id"]
        )

    install_guards(op.execute, op.get_bind().dialect.name)


STEPS = (
    create_01,
    create_02,
    create_03,
    create_04,
    create_05,
    create_06,
    create_07,
    create_08,
)
