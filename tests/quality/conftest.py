from tests.pools.conftest import add_customer, at, customers, org  # noqa: F401
