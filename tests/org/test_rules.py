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


def test_org3_tree_order_puts_children_under_their_parent_and_survives_bad_rows():
    from poolcrm.org.rules import department_cycle, tree_order

    parents = {1: None, 2: 1, 3: 1, 4: 2, 5: 99}
    assert tree_order(parents) == [(1, 0), (2, 1), (4, 2), (3, 1), (5, 0)]
    assert tree_order({1: 2, 2: 1}) == [(1, 0), (2, 1)], "a loop in old rows still shows every node"
    assert department_cycle(1, 4, parents) and not department_cycle(4, 3, parents)


def test_org7a_self_lockout():
    from poolcrm.org.rules import self_lockout_problem

    assert self_lockout_problem(1, 1, {"active": False}) == "不能停用自己的账号"
    assert self_lockout_problem(1, 1, {"roles": ["sales"]}) == "不能取消自己的系统管理员角色"
    assert self_lockout_problem(1, 1, {"roles": ["admin", "gm"], "active": True}) is None
    assert self_lockout_problem(1, 2, {"active": False}) is None
    assert self_lockout_problem(None, 2, {"active": False}) is None


def test_ctr1_may_approve_any_is_true_wherever_may_approve_can_be():
    roles_seen = (["sales"], ["sales", "supervisor"], ["sales_manager"], ["gm"], ["admin"], ["cs"], [])
    for roles in roles_seen:
        for leads in (False, True):
            could = any(
                rules.may_approve(level, roles, supervises)
                for level in (rules.LEVEL_SUPERVISOR, rules.LEVEL_GM)
                for supervises in ((False, True) if leads else (False,))
            )
            assert rules.may_approve_any(roles, leads) == could, (roles, leads)
