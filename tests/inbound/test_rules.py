"""IN-1/IN-2 pure rules."""

from __future__ import annotations

from poolcrm.inbound.rules import Candidate, identify_caller, route_inbound


def test_in1_exact_name_or_same_phone_identifies_the_caller():
    weak = Candidate(1, 80, False, False)
    phone = Candidate(2, 0, False, True)
    exact = Candidate(3, 100, True, False)
    assert identify_caller([weak, phone, exact], 90) == exact
    assert identify_caller([weak, phone], 90) == phone


def test_in1_weak_fuzzy_match_is_an_unknown_company():
    assert identify_caller([Candidate(1, 89, False, False)], 90) is None
    assert identify_caller([Candidate(1, 90, False, False)], 90) == Candidate(1, 90, False, False)
    assert identify_caller([], 90) is None


def test_in1_private_customer_goes_to_its_owner():
    route = route_inbound("private", 7, None)
    assert (route.outcome, route.rule, route.to_owner) == ("owner_notified", "IN-1", True)


def test_in1_pending_registration_goes_to_its_registrant():
    assert route_inbound("pending", None, 9).outcome == "owner_notified"


def test_in2_public_or_binned_customer_goes_to_the_duty_rep():
    assert route_inbound("public", None, None).outcome == "assigned_to_duty"
    assert route_inbound("bin", None, None).outcome == "assigned_to_duty"
    assert route_inbound("public", None, None).rule == "IN-2"


def test_in2_unknown_company_is_registered_by_the_duty_rep():
    route = route_inbound(None, None, None)
    assert (route.outcome, route.rule, route.to_owner) == ("new_for_duty", "IN-2", False)
