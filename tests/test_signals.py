"""The kernel's publish/subscribe (DESIGN: layers between domains)."""

from __future__ import annotations

import pytest

from poolcrm.signals import Signal


def test_signal_calls_each_listener_once_with_the_declared_payload():
    got: list[tuple[object, int]] = []
    ping = Signal("test.ping", "n")

    def listener(session: object, *, n: int) -> None:
        got.append((session, n))

    ping.connect(listener)
    ping.connect(listener)
    ping.send("s", n=3)
    assert got == [("s", 3)]
    ping.disconnect(listener)
    ping.send("s", n=4)
    assert got == [("s", 3)]


def test_signal_refuses_a_payload_other_than_declared():
    ping = Signal("test.ping", "n")
    with pytest.raises(TypeError):
        ping.send("s", m=1)


def test_every_domain_listener_is_connected_once_the_first_signal_is_sent():
    from poolcrm.customers.signals import customer_merged, customer_merging
    from poolcrm.deals.signals import deal_signed
    from poolcrm.org.signals import user_changed
    from poolcrm.ownership.signals import owner_changed, owners_released

    names = {
        s.name: {f.__module__ for f in s.receivers()}
        for s in (
            owner_changed,
            owners_released,
            deal_signed,
            user_changed,
            customer_merged,
            customer_merging,
        )
    }
    assert names == {
        "ownership.owner_changed": {"poolcrm.deals.listeners", "poolcrm.followups.listeners"},
        "ownership.owners_released": {"poolcrm.followups.listeners", "poolcrm.pools.listeners"},
        "deals.deal_signed": {"poolcrm.disputes.listeners"},
        "org.user_changed": {"poolcrm.pools.listeners"},
        "customers.merged": {"poolcrm.violations.listeners"},
        "customers.merging": {"poolcrm.deals.listeners", "poolcrm.quality.listeners"},
    }
