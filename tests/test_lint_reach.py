"""The reachability checks' satisfiability test agrees with brute force: one value of a fact meets every
condition exactly when some value on a fine grid does."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from decision_core.catalogue.loading import Fact
from decision_core.catalogue.conditions import parse_condition
from decision_core.lint.reach import satisfiable

OPS = ("gte", "gt", "lte", "lt", "eq", "ne", "in")
TEXT = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def condition(op: str, value) -> object:
    if op in TEXT:
        return parse_condition(f"x {TEXT[op]} {value}")
    if op == "eq":
        return parse_condition(f"x is {value}")
    if op == "ne":
        return parse_condition(f"x is not {value}")
    return parse_condition(f"x is one of [{', '.join(str(v) for v in value)}]")


values = st.integers(-2, 22)
conditions = st.lists(st.one_of(
    st.tuples(st.sampled_from(OPS[:-1]), values),
    st.tuples(st.just("in"), st.lists(values, min_size=1, max_size=3)),
), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(conds=conditions, integer=st.booleans())
def test_satisfiable_agrees_with_brute_force(conds, integer):
    fact = Fact("x", "int" if integer else "number", "X", "X?", "r", min=0, max=20)
    parsed = [condition(op, v) for op, v in conds]
    step = 1 if integer else 0.25  # thresholds are whole numbers: a quarter step finds any open gap
    grid = [i * step for i in range(int(20 / step) + 1)]

    def holds(x, c):
        if c.op == "in":
            return x in c.value
        return {"gte": x.__ge__, "gt": x.__gt__, "lte": x.__le__, "lt": x.__lt__, "eq": x.__eq__,
                "ne": x.__ne__}[c.op](c.value) is True

    brute = any(all(holds(x, c) for c in parsed) for x in grid)
    assert satisfiable(fact, parsed) == brute, [c.text for c in parsed]
