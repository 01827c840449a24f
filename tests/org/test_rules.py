from poolcrm.org import rules


def test_org2_admin_gm_cs_see_everyone_reps_do_not():
    assert rules.sees_everyone(["cs"])
    assert rules.sees_everyone(["sales", "gm"])
    assert not rules.sees_everyone(["sales", "supervisor"])


def test_org2_subtree_is_recursive_to_any_depth():
    tree = {1: None, 2: 1, 3: 2, 4: 3, 5: 1, 6: None}
    assert rules.subtree(2, tree) == {2, 3, 4}
    assert rules.subtree(1, tree) == {1, 2, 3, 4, 5}
    assert rules.subtree(6, tree) == {6}


def test_org2_supervisor_tree_refuses_a_cycle():
    tree = {1: None, 2: 1, 3: 2}
    assert rules.supervisor_cycle(1, 3, tree)
    assert rules.supervisor_cycle(2, 2, tree)
    assert not rules.supervisor_cycle(3, 1, tree)


def test_org6_employee_code_pattern():
    assert rules.employee_code_problem("BJ0101", r"^[A-Z]{2}\d{4}$") is None
    assert rules.employee_code_problem(None, r"^[A-Z]{2}\d{4}$") is None
    assert rules.employee_code_problem("bj01", r"^[A-Z]{2}\d{4}$") is not None


def test_org1_unknown_roles_are_named():
    assert rules.unknown_roles(["sales", "boss"]) == ["boss"]
