from tests.pools.conftest import add_customer, admin_headers_for_policy, at, customers, org  # noqa: F401
