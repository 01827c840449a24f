"""CUS-9: the `new_customer` application kind, decided by the customers domain."""

from __future__ import annotations

from poolcrm.applications.models import KIND_NEW_CUSTOMER
from poolcrm.applications.registry import register_kind
from poolcrm.customers.registration import approve_new_customer, may_decide_new_customer, reject_new_customer

register_kind(KIND_NEW_CUSTOMER, approve_new_customer, reject_new_customer, may_decide_new_customer)
