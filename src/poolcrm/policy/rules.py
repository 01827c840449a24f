"""Every policy number of SPEC, typed and validated, with its default and its rule ID.

The `Policy` model is the single definition: defaults, bounds and descriptions live here; the
stored values (table `policy_values`) override the defaults. Validation errors name the parameter.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

NONCONTACT_DEFAULT = [
    "电话未接通",
    "未接通",
    "未见到本人",
    "无人接听",
    "关机",
    "占线",
    "空号",
    "停机",
    "打不通",
    "没人接",
    "不在办公室",
]

LEGAL_SUFFIX_WARNING_DEFAULT = [
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团",
    "研究院",
    "研究所",
    "医院",
    "学校",
    "大学",
    "学院",
    "营业部",
    "分公司",
    "支公司",
    "办事处",
    "事务所",
    "中心",
    "厂",
    "局",
    "委员会",
    "协会",
    "银行",
    "公司",
]


def P(default: Any, rule: str, zh: str, en: str, **constraints: Any) -> Any:
    return Field(default, json_schema_extra={"rule": rule, "zh": zh, "en": en}, **constraints)


MAX_MAPPED_DAYS = 3650
"""The longest a day count kept per grade, tier or category may be (ten years)."""

STRIKE_KINDS: dict[str, str] = {"release": "销售放弃", "recycle": "系统回收"}
"""POOL-8: the ways a rep can lose a customer that may count as giving it up (in words)."""
CHOICES: dict[str, dict[str, str]] = {"three_strikes_counts": STRIKE_KINDS}
"""Parameters whose values come from a fixed list: the policy page offers them as named choices."""
ONE_OF: dict[str, dict[str, str]] = {
    "duty_strategy": {"ranking": "按上周排名（有效拜访与业绩）", "groups": "各销售组轮流"},
    "assessment_mode": {"zero": "任一项不达标当月为零分", "points": "按项扣分"},
    "sla_clock": {"calendar": "自然时间", "business": "工作日的工作时间"},
}
"""Parameters that take one of a few values (their pattern): the policy page offers them by name."""
KEY_NAMES: dict[str, dict[str, str]] = {
    "deal_reminder_days": {"lead": "线索", "mid": "中线", "short": "短线"},
    "core_contact_days": {"mid": "中线", "short": "短线"},
    "assessment_weights": {
        "missing_fields": "资料缺失",
        "invalid_followups": "无效跟进",
        "overdue_deals": "跟单超期",
        "fake_followups": "虚假跟进",
    },
    "report_due_days": {"weekly": "周报", "monthly": "月报", "half_year": "半年报", "annual": "年报"},
}
"""The keys of map parameters in words, for the policy page's defaults (the value is keyed by code)."""


class Policy(BaseModel):
    """SPEC intro: every number is a policy parameter, editable at run time by an admin. Strict:
    a number is a JSON number (`true` or `"300"` is not), a flag a JSON boolean."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)

    # ORG / CAL
    timezone: str = P("Asia/Shanghai", "CAL-2", "公司时区", "Company time zone")
    employee_code_pattern: str = P(
        r"^[A-Z]{2}\d{4}$", "ORG-6", "员工编号格式（正则）", "Employee code pattern (regex)"
    )
    login_max_failures: int = P(5, "AUTH-1", "登录失败次数上限", "Failed logins before a pause", ge=1, le=100)
    login_lockout_seconds: int = P(
        300, "AUTH-1", "登录暂停秒数", "Pause after too many failures (s)", ge=1, le=86400
    )
    login_max_failures_per_address: int = P(
        20,
        "AUTH-4",
        "同一地址登录失败次数上限",
        "Failed logins from one address before a pause",
        ge=1,
        le=10000,
    )
    login_max_failures_per_username: int = P(
        50,
        "AUTH-5",
        "同一账号登录失败总次数上限",
        "Failed logins of one account before others pause",
        ge=1,
        le=100000,
    )
    login_known_address_days: int = P(
        30, "AUTH-5", "常用登录地址有效天数", "Days an address stays known after a login", ge=1, le=365
    )
    hire_days_ahead: int = P(
        90, "ORG-4a", "入职日期最多提前录入天数", "Days ahead a hire date may be entered", ge=0, le=366
    )
    probation_max_months: int = P(6, "ORG-4a", "试用期最长月数", "Longest probation (months)", ge=0, le=12)
    # CUS
    customer_code_prefix: str = P(
        "ABC", "CUS-8", "客户编号前缀", "Customer code prefix", min_length=1, max_length=8
    )
    profile_max_chars: int = P(50, "CUS-1", "客户简介最大字数", "Max profile length", ge=1, le=2000)
    industries: list[str] = P(
        ["制造业", "零售业", "IT", "金融", "保险", "证券", "教育", "医疗", "政府机关", "其他"],
        "CUS-1",
        "行业列表（登记时选择）",
        "Industries offered when registering",
    )
    insurance_industries: list[str] = P(["保险"], "CUS-3", "保险类行业", "Insurance industries")
    securities_industries: list[str] = P(["证券"], "CUS-4", "证券类行业", "Securities industries")
    legal_suffixes: list[str] = P(
        LEGAL_SUFFIX_WARNING_DEFAULT,
        "CUS-2",
        "法定名称后缀（缺少则提示简称）",
        "Legal-form suffixes (abbreviation warning)",
    )
    fuzzy_match_min_score: int = P(
        75, "CUS-7", "疑似重复最低相似度", "Minimum similarity for a fuzzy duplicate", ge=1, le=99
    )
    duplicate_query_min_chars: int = P(
        4, "CUS-7a", "查重：名称至少有效字数", "Duplicate check: least name characters", ge=2, le=20
    )
    duplicate_max_matches: int = P(
        10, "CUS-7a", "查重：最多显示条数", "Duplicate check: most matches shown", ge=1, le=50
    )
    duplicate_checks_per_minute: int = P(
        60, "CUS-7a", "查重：每人每分钟次数上限", "Duplicate checks per user per minute", ge=1, le=1000
    )
    review_skip_department_ids: list[int] = P([], "CUS-9", "免审核部门", "Departments that skip CS review")
    dormant_days: int = P(365, "CUS-12", "休眠天数", "Days without business before dormant", ge=1, le=3650)
    tier_cadence_days: dict[str, int] = P(
        {"A": 7, "B": 14, "C": 30},
        "CUS-15",
        "各级别最少联系间隔（天）",
        "Minimum contact cadence per tier (days)",
    )
    high_growth_contact_days: int = P(
        30, "CUS-11", "高成长客户实质联系天数", "High-growth contact window (days)", ge=1, le=365
    )
    core_deal_months: int = P(
        12, "CUS-11", "核心客户预计成交月数", "Core customer close horizon (months)", ge=1, le=120
    )
    # POOL
    private_pool_limit_new: int = P(
        300, "POOL-2", "新人私海上限（入职未满期限）", "Private pool limit, new reps", ge=1, le=100000
    )
    private_pool_limit_senior: int = P(
        250, "POOL-2", "老员工私海上限", "Private pool limit, senior reps", ge=1, le=100000
    )
    private_pool_limit_ka: int = P(
        330, "POOL-2", "KA部私海上限", "Private pool limit, KA department", ge=1, le=100000
    )
    new_rep_tenure_months: int = P(3, "POOL-2", "新人期（月）", "New-rep period (months)", ge=0, le=120)
    recycle_idle_workdays: int = P(
        5,
        "POOL-6",
        "无有效跟进回收工作日数",
        "Working days without valid follow-up before recycle",
        ge=1,
        le=365,
    )
    recycle_idle_workdays_by_grade: dict[str, int] = P(
        {}, "POOL-17", "按等级/级别覆盖回收工作日数", "Recycle threshold per grade or tier"
    )
    warn_days: int = P(
        1, "POOL-6", "回收前提醒工作日数", "Warn this many working days before recycle", ge=0, le=30
    )
    release_needs_supervisor: bool = P(
        True, "POOL-5", "放弃保护需主管同意", "Release needs the supervisor's consent"
    )
    allocation_execute_time: str = P(
        "12:00", "POOL-7", "每日分配执行截止时间", "Daily allocation deadline (HH:MM)"
    )
    bin_days: int = P(
        3, "POOL-7", "待分配最长工作日数", "Working days in the bin before going public", ge=1, le=60
    )
    three_strikes_reps: int = P(
        3, "POOL-8", "放弃次数（不同销售）后直接进公海", "Different reps giving up before public", ge=1, le=20
    )
    three_strikes_counts: list[str] = P(
        ["release"], "POOL-8", "计入放弃的方式", "What counts as giving up (release; recycle optional)"
    )
    departure_plan_days: int = P(
        7, "POOL-10", "离职分配方案期限（天）", "Days to propose a departure plan", ge=1, le=60
    )
    lock_limit_per_rep: int = P(
        10, "POOL-11", "每位销售可锁定客户数", "Locked customers per rep", ge=0, le=10000
    )
    lock_max_days: int = P(90, "POOL-11a", "锁定最长天数", "Longest lock (days ahead)", ge=1, le=3650)
    reclaim_cooldown_days: int = P(
        30, "POOL-13", "放弃后再申请冷却天数", "Re-claim cooldown (days)", ge=0, le=3650
    )
    daily_claim_limit: int = P(
        20, "POOL-14", "每日申请保护上限（0为不限）", "Daily claim applications (0 = none)", ge=0, le=10000
    )
    new_in_pool_wait_hours: int = P(
        0, "POOL-14", "新进公海等待小时数", "Hours before a new public customer is claimable", ge=0, le=720
    )
    # FU
    followup_min_chars: int = P(
        15,
        "FU-1",
        "有效跟进最少字数（不含标点空格）",
        "Minimum letters/digits for a valid follow-up",
        ge=1,
        le=1000,
    )
    followup_noncontact_phrases: list[str] = P(
        NONCONTACT_DEFAULT, "FU-1", "无效跟进短语（未接触）", "Non-contact phrases (invalid follow-ups)"
    )
    followup_backdate_days: int = P(
        30, "FU-3b", "跟进联系时间最多补录天数", "Days back a contact time may be entered", ge=1, le=365
    )
    reminder_time: str = P("09:00", "FU-4", "跟进提醒时间", "Follow-up reminder time (HH:MM)")
    first_contact_hours: int = P(
        24, "FU-5", "新客户首次联系时限（小时）", "First contact deadline (hours)", ge=1, le=720
    )
    reminder_lookback_days: int = P(
        7, "FU-4a", "漏发提醒补发天数", "Days a missed reminder is still sent", ge=1, le=60
    )
    first_contact_flag_days: int = P(
        7, "FU-5a", "首次联系超期标记天数", "Days an overdue first contact stays flagged", ge=1, le=60
    )
    # MEM
    member_maintenance_months: int = P(
        1, "MEM-1", "会员客户维护周期（月）", "Member maintenance period (months)", ge=1, le=24
    )
    # DEAL
    deal_reminder_days: dict[str, int] = P(
        {"lead": 15, "mid": 15, "short": 7}, "DEAL-2", "跟单提醒周期（天）", "Deal reminder cadence (days)"
    )
    deal_short_months: int = P(3, "DEAL-2", "短线预计成交月数", "Short deal horizon (months)", ge=1, le=24)
    deal_mid_months: int = P(12, "DEAL-2", "中线预计成交月数", "Mid deal horizon (months)", ge=1, le=60)
    deal_product_categories: list[str] = P(
        ["扫描仪", "存储系统", "软件", "打印机", "耗材", "综合设备"],
        "DEAL-4",
        "产品类别",
        "Product categories",
    )
    deal_sources: list[str] = P(
        ["展会", "网站表单", "客户推荐", "来电", "合作伙伴", "老客户", "其他"],
        "DEAL-11",
        "商机来源",
        "Deal sources",
    )
    deal_competitors: list[str] = P(
        ["富士通", "柯达", "佳能", "爱普生", "惠普", "理光", "京瓷", "华为", "浪潮", "系统集成商", "其他"],
        "DEAL-10",
        "竞争对手",
        "Competitors",
    )
    # IN / DSP / VIO
    duty_min_visits: int = P(
        15, "IN-3", "值班资格：上周有效拜访数", "Duty eligibility: last week's valid visits", ge=0, le=1000
    )
    duty_top_n: int = P(
        10, "IN-3", "值班资格：上周销售排名前N", "Duty eligibility: top N by sales", ge=1, le=1000
    )
    duty_strategy: str = P(
        "ranking",
        "IN-3",
        "值班方式",
        "Duty strategy",
        pattern="^(ranking|groups)$",
    )
    duty_groups: int = P(3, "IN-3", "轮值销售组数", "Sales groups in rotation", ge=1, le=100)
    inbound_match_min_score: int = P(
        90,
        "IN-1",
        "来电自动识别为已有客户的最低相似度",
        "Minimum similarity to route an inbound call to an existing customer",
        ge=1,
        le=100,
    )
    dispute_evidence_followups: int = P(
        3,
        "DSP-1a",
        "争议证据：显示原负责人跟进条数",
        "Dispute evidence: owner's follow-ups shown",
        ge=1,
        le=20,
    )
    dispute_owner_workdays: int = P(
        5,
        "DSP-1",
        "争议：原负责人跟进有效期（工作日）",
        "Dispute: owner keeps credit within (working days)",
        ge=1,
        le=365,
    )
    violation_warning_count: int = P(
        2, "VIO-1", "书面警告的违规次数", "Violations for a written warning", ge=1, le=100
    )
    violation_dismissal_count: int = P(
        3, "VIO-1", "建议辞退的违规次数", "Violations for a dismissal proposal", ge=1, le=100
    )
    spot_check_per_rep: int = P(
        3, "VIO-2", "每日抽查每人跟进条数", "Daily spot-check sample per rep", ge=0, le=100
    )
    assessment_weights: dict[str, int] = P(
        {"missing_fields": 2, "invalid_followups": 1, "overdue_deals": 3, "fake_followups": 10},
        "VIO-3",
        "月度数据质量考核扣分（每项）",
        "Monthly data-quality deductions per item",
    )
    assessment_mode: str = P(
        "zero",
        "VIO-3",
        "考核方式",
        "Assessment",
        pattern="^(zero|points)$",
    )
    quota_core_customers: int = P(10, "VIO-4", "核心客户数量要求", "Core customers quota", ge=0, le=10000)
    quota_high_growth_customers: int = P(
        20, "VIO-4", "高成长客户数量要求", "High-growth customers quota", ge=0, le=10000
    )
    core_contact_days: dict[str, int] = P(
        {"short": 7, "mid": 14},
        "VIO-4",
        "核心客户联系周期（天，短线/中线）",
        "Core customer contact cadence (days, short/mid)",
    )
    # CTR
    contract_gm_approval_amount: int = P(
        200000,
        "CTR-1",
        "合同金额达到此数须总经理审批（元）",
        "Contracts from this amount need the GM (CNY)",
        ge=0,
    )
    contract_default_payment_days: int = P(
        30,
        "CTR-3",
        "未分期合同的默认付款期限（天）",
        "Payment term of a contract without installments (days)",
        ge=0,
        le=3650,
    )
    contract_backdate_days: int = P(
        90, "CTR-1d", "合同签约日期最多补录天数", "Days back a signing date may be entered", ge=0, le=3650
    )
    contract_file_max_mb: int = P(
        10, "CTR-1", "合同扫描件大小上限（MB）", "Scanned contract size limit (MB)", ge=1, le=100
    )
    special_price_maintained_days: int = P(
        90,
        "CTR-4",
        "特价审批：分销商客户维护期限（天）",
        "Special price: distributor's customers updated within (days)",
        ge=1,
        le=3650,
    )
    # WORK
    report_due_days: dict[str, int] = P(
        {"weekly": 1, "monthly": 3, "half_year": 10, "annual": 15},
        "WORK-1",
        "报告提交期限（周期结束后天数）",
        "Reports due (days after the period ends)",
    )
    work_file_max_mb: int = P(
        10, "WORK-1", "报告附件与票据大小上限（MB）", "Report and receipt size limit (MB)", ge=1, le=100
    )
    trip_login_days: int = P(
        3, "WORK-2", "出差期间至少每几天登录一次", "On a trip, log in at least every (days)", ge=1, le=30
    )
    trip_max_days: int = P(60, "WORK-2", "单次出差最长天数", "Longest trip (days)", ge=1, le=366)
    expense_types: list[str] = P(
        ["交通", "住宿", "餐饮", "招待", "礼品", "通讯", "办公", "其他"],
        "WORK-3",
        "费用类型",
        "Expense types",
    )
    expense_gm_approval_amount: int = P(
        5000,
        "WORK-3",
        "费用金额达到此数须总经理审批（元）",
        "Expenses from this amount need the GM (CNY)",
        ge=0,
    )
    weekly_deal_actions_min: int = P(
        3, "WORK-4", "每周商机行动最低次数", "Minimum actions on opportunities per week", ge=0, le=1000
    )
    # SVC
    sla_high_response_minutes: int = P(
        60, "SVC-4", "高优先级首次响应时限（分钟）", "High priority: first response (min)", ge=1, le=100000
    )
    sla_medium_response_minutes: int = P(
        240, "SVC-4", "中优先级首次响应时限（分钟）", "Medium priority: first response (min)", ge=1, le=100000
    )
    sla_low_response_minutes: int = P(
        480, "SVC-4", "低优先级首次响应时限（分钟）", "Low priority: first response (min)", ge=1, le=100000
    )
    sla_high_resolve_hours: int = P(
        24, "SVC-4", "高优先级解决时限（小时）", "High priority: resolution (h)", ge=1, le=10000
    )
    sla_medium_resolve_hours: int = P(
        48, "SVC-4", "中优先级解决时限（小时）", "Medium priority: resolution (h)", ge=1, le=10000
    )
    sla_low_resolve_hours: int = P(
        72, "SVC-4", "低优先级解决时限（小时）", "Low priority: resolution (h)", ge=1, le=10000
    )
    sla_complaint_assign_minutes: int = P(
        10, "SVC-4", "投诉分派时限（分钟）", "Complaint assignment (min)", ge=1, le=100000
    )
    sla_complaint_contact_minutes: int = P(
        30, "SVC-4", "投诉首次联系时限（分钟）", "Complaint first contact (min)", ge=1, le=100000
    )
    sla_complaint_resolve_hours: int = P(
        24, "SVC-4", "投诉解决时限（小时）", "Complaint resolution (h)", ge=1, le=10000
    )
    sla_clock: str = P(
        "calendar",
        "SVC-4",
        "时限计时方式",
        "SLA clock",
        pattern="^(calendar|business)$",
    )
    working_hours_start: str = P("09:00", "CAL-1", "上班时间", "Working hours start (HH:MM)")
    working_hours_end: str = P("18:00", "CAL-1", "下班时间", "Working hours end (HH:MM)")
    ticket_file_max_mb: int = P(
        20, "SVC-2", "工单附件大小上限（MB）", "Ticket attachment size limit (MB)", ge=1, le=100
    )
    rating_link_days: int = P(14, "SVC-6", "评价链接有效天数", "Rating link valid for (days)", ge=1, le=365)
    rating_attempts_limit: int = P(
        20,
        "SVC-6a",
        "评价链接：每个地址的失败尝试上限",
        "Rating links: refused attempts per address",
        ge=1,
        le=10000,
    )
    rating_attempts_window_minutes: int = P(
        10,
        "SVC-6a",
        "评价链接：失败尝试计数时段（分钟）",
        "Rating links: attempt window (min)",
        ge=1,
        le=1440,
    )
    complaint_causes: list[str] = P(
        ["产品质量", "服务流程", "交付", "价格", "人员态度", "其他"],
        "SVC-5",
        "投诉原因分类",
        "Complaint causes",
    )

    backup_dir: str = P(
        "",
        "GOV-3",
        "定时备份目录（空：不做定时备份）",
        "Scheduled backup folder (empty: no scheduled backups)",
        max_length=500,
    )
    backup_time: str = P("02:30", "GOV-3", "每日备份时间", "Daily backup time (HH:MM)")
    backup_keep: int = P(14, "GOV-3", "保留最近几份备份", "Backups kept (most recent)", ge=1, le=1000)
    backup_keep_days: int = P(
        0,
        "GOV-3",
        "备份最多保留天数（0 为不按天数删除）",
        "Days a backup is kept (0: no limit)",
        ge=0,
        le=3650,
    )
    backup_attempts_per_day: int = P(
        3, "GOV-3", "备份失败后当天最多尝试次数", "Backup attempts per day", ge=1, le=100
    )
    backup_overdue_hours: int = P(
        26,
        "GOV-3",
        "超过多少小时没有成功备份即提醒",
        "Warn when the last good backup is older than (h)",
        ge=1,
        le=8760,
    )

    # NOTE
    app_base_url: str = P(
        "http://127.0.0.1:8000",
        "NOTE-1",
        "系统访问地址（通知里的链接以此开头）",
        "The app's address (links in notifications start with it)",
        max_length=200,
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
    )
    notify_retry_base_seconds: int = P(
        30, "NOTE-2", "通知发送失败后首次重试等待（秒）", "First retry after a failed send (s)", ge=1, le=3600
    )
    notify_retry_cap_seconds: int = P(
        3600, "NOTE-2", "重试等待上限（秒）", "Longest wait between retries (s)", ge=1, le=86_400
    )
    notify_max_attempts: int = P(
        8, "NOTE-2", "通知最多发送尝试次数", "Attempts before a delivery is given up", ge=1, le=50
    )
    digest_time: str = P("08:30", "NOTE-3", "每日摘要发送时间", "Daily digest time (HH:MM)")

    # ORG-5a
    export_approval_rows: int = P(
        1000,
        "ORG-5a",
        "导出客户超过多少行需上级审批",
        "Customer rows an export may hold without approval",
        ge=1,
        le=1_000_000,
    )
    export_approval_valid_hours: int = P(
        24, "ORG-5a", "批准后多少小时内可下载", "Hours an approved export stays downloadable", ge=1, le=720
    )

    # GOV-4
    quality_stale_days: int = P(
        365,
        "GOV-4",
        "资料多少天未更新算陈旧",
        "Days without an update before a record is stale",
        ge=30,
        le=3650,
    )

    # GOV-5
    verification_period_months: int = P(
        3,
        "GOV-5",
        "联系方式核实周期（月，能整除 12：1、2、3、4、6、12）",
        "Contact verification period (months, dividing 12)",
        ge=1,
        le=12,
    )
    verification_remind_days: int = P(
        14,
        "GOV-5",
        "核实周期结束前几天再提醒",
        "Remind again this many days before the period ends",
        ge=1,
        le=180,
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return v

    @field_validator(
        "allocation_execute_time",
        "reminder_time",
        "working_hours_start",
        "working_hours_end",
        "backup_time",
        "digest_time",
    )
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError("expected HH:MM")
        return v

    @field_validator("verification_period_months")
    @classmethod
    def _divides_year(cls, v: int) -> int:
        if 12 % v:
            raise ValueError("must divide 12 (1, 2, 3, 4, 6 or 12)")
        return v

    @field_validator("working_hours_end")
    @classmethod
    def _closes_after_opening(cls, v: str, info: ValidationInfo) -> str:
        """CAL-1: a working day ends after it starts (HH:MM strings compare as times)."""
        if v <= str(info.data.get("working_hours_start", "00:00")):
            raise ValueError("working hours must end after they start")
        return v

    @field_validator("employee_code_pattern")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError("invalid regular expression") from exc
        return v

    @field_validator(
        "tier_cadence_days",
        "recycle_idle_workdays_by_grade",
        "deal_reminder_days",
        "core_contact_days",
        "report_due_days",
    )
    @classmethod
    def _positive_map(cls, v: dict[str, int]) -> dict[str, int]:
        for key, days in v.items():
            if not key or not 1 <= days <= MAX_MAPPED_DAYS:
                raise ValueError(f"{key}: must be 1–{MAX_MAPPED_DAYS}")
        return v

    @field_validator("deal_mid_months")
    @classmethod
    def _mid_after_short(cls, v: int, info: ValidationInfo) -> int:
        """DEAL-2: a mid deal's horizon (12 months) is never shorter than a short deal's (3)."""
        if v < int(info.data.get("deal_short_months", 1)):
            raise ValueError("must not be shorter than deal_short_months")
        return v

    @field_validator("violation_dismissal_count")
    @classmethod
    def _dismissal_after_warning(cls, v: int, info: ValidationInfo) -> int:
        """VIO-1: the dismissal proposal comes after the written warning (2nd → warning, 3rd → dismissal)."""
        if v <= int(info.data.get("violation_warning_count", 0)):
            raise ValueError("must be more than violation_warning_count")
        return v

    @field_validator("assessment_weights")
    @classmethod
    def _weights(cls, v: dict[str, int]) -> dict[str, int]:
        known = {"missing_fields", "invalid_followups", "overdue_deals", "fake_followups"}
        for key, points in v.items():
            if key not in known:
                raise ValueError(f"unknown item: {key}")
            if points < 0:
                raise ValueError(f"{key}: must be ≥ 0")
        return v

    @field_validator("three_strikes_counts")
    @classmethod
    def _strike_kinds(cls, v: list[str]) -> list[str]:
        bad = set(v) - set(STRIKE_KINDS)
        if bad:
            raise ValueError(f"unknown kind: {', '.join(sorted(bad))}")
        return v


def parameter_catalogue() -> list[dict[str, Any]]:
    """Name, default, rule, descriptions and bounds of every parameter, for the policy page."""
    out: list[dict[str, Any]] = []
    for name, info in Policy.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        bounds: dict[str, Any] = {}
        for meta in info.metadata:
            for attr in ("ge", "le", "min_length", "max_length", "pattern"):
                if getattr(meta, attr, None) is not None:
                    bounds[attr] = getattr(meta, attr)
        out.append(
            {
                "name": name,
                "default": info.default,
                "rule": extra.get("rule"),
                "zh": extra.get("zh"),
                "en": extra.get("en"),
                "type": getattr(info.annotation, "__name__", str(info.annotation)),
                "bounds": bounds,
            }
        )
    return out
