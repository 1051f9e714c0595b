"""Disclosure control of a release, jointly over every published table (docs/privacy.md).

- `cube`: what an attacker reads in a release: the cells of each universe (tables that are
  views of one cube), whether each is published or withheld, and the relations between them
  (additivity where a measure adds up, inequalities where it does not);
- `system`: one integer linear system per universe, period and measure, its bounds and its
  independent components;
- `certify`: feasible integer intervals by mixed-integer programming (HiGHS through
  scipy.optimize.milp), with witnesses first and exact bounds where they are needed;
- `audit`: `python -m iclsc audit RELEASE_DIR`, from the published files only;
- `protect`: the complementary suppression that makes the audit pass, from the true counts.
"""
