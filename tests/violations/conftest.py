from tests.duty.conftest import add_followups, add_won_deal  # noqa: F401
from tests.inbound.conftest import _clock, add_customer, at, crm, customer, h  # noqa: F401
