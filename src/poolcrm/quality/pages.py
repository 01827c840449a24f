"""GOV-5 page: the verification task list — one click for "verified", a short form to correct —
and, for those with a team, each rep's progress this period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from poolcrm.org.models import User
from poolcrm.quality import rules, verification
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.forms import run_form, text
from poolcrm.web.render import page

router = APIRouter()
FIELD_LABELS = {
    "contact_name": "联系人",
    "contact_position": "职务",
    "phone": "电话",
    "mobile": "手机",
    "email": "邮箱",
}


def _page(
    request: Request,
    db: DB,
    user: User,
    owner_id: int | None = None,
    flash: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = verification.tasks(db, user, owner_id)
    period, team = verification.progress(db, user)
    return page(
        request,
        "quality/verification.html",
        status,
        db=db,
        found=found,
        team=team if len(team) > 1 or (team and team[0].owner_id != user.id) else [],
        period=period,
        labels=FIELD_LABELS,
        fields=rules.CONTACT_FIELDS,
        flash=flash,
        flash_kind="error" if flash else None,
        done=request.query_params.get("done") == "1",
    )


@router.get("/verification", response_class=HTMLResponse)
def verification_page(
    request: Request,
    user: CurrentUser,
    db: DB,
    owner: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    return _page(request, db, user, owner)


@router.post("/verification/{customer_id}", response_model=None)
def verify_form(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    form: FormBody,
    owner: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """GOV-5: "已核实" posts no fields; "更正" posts the contact fields as they should read."""
    corrections = {k: text(form, k) or None for k in rules.CONTACT_FIELDS if k in form}
    back = f"/verification?{'owner=' + str(owner) + '&' if owner else ''}done=1"
    return run_form(
        db,
        lang,
        lambda: verification.verify(db, user, customer_id, corrections, text(form, "note"), lang=lang),
        lambda _: back,
        lambda flash, status: _page(request, db, user, owner, flash, status),
    )
