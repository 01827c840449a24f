from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from poolcrm.db import Base, UTCDateTime


class LoginFailure(Base):
    """AUTH-1: failed login attempts, to slow down password guessing across processes."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_login_failures_user_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )


class AuthSession(Base):
    """AUTH-6: a signed-in session (a browser's cookie or a script's bearer token). Logging out or
    changing the password ends it on the server, so a copied token stops working at once."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_auth_sessions_user_address", "user_id", "address", "created_at"),)
