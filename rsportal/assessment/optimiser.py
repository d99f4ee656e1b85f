"""Decision support: propose which applications to fund within the frame.

The committee decides; this module only proposes. It solves an exact
mixed-integer model (HiGHS via highspy) and always shows the plain ranking
next to it, so the committee can see what balance and patient-group coverage
cost in score and overrule the proposal knowingly.

Model (x_i binary per eligible candidate):

    maximise   Σ score_i x_i
               − balance_weight · Σ_h d_h / T
               + group_bonus · Σ_g y_g
    subject to Σ amount_i x_i ≤ frame
               Σ amount_iy x_i ≤ year_frame_y                         (each year y, when given)
               Σ_{i in h, not joint} x_i ≤ max_per_helsefellesskap      (each h)
               d_h ≥ ±((earlier_h + Σ_{i in h} amount_i x_i) − share_h · T)
               y_g ≤ Σ_{i targets g} x_i                             (uncovered g)

with T = Σ earlier + frame. Pre-projects above their cap, candidates asking
for more than the whole frame, and (with year frames) candidates asking for a
year without a frame or for more than a year's frame, get no variable at all.

A multi-year project is booked one commitment per year, all years or none, so
with `Rules.year_frames` every year of every candidate's budget must fit what
the pot has free that year; the objective is unchanged.

The module is framework-light on purpose: plain dataclasses in, plain
dataclasses out, no database. Only the reasons touch Django (gettext).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from django.utils.translation import gettext as _

from rsportal.core.formatting import kroner

# Objective values closer than this are the same to the committee; it also
# absorbs floating-point noise when we recompute the objective ourselves.
OBJECTIVE_TOLERANCE = 1e-6

# Part of the proposal cache's key (queries.proposal): raise it whenever the model changes, so that
# a proposal cached by the previous formulation (possibly another selection with the same
# objective) is never shown beside one the new formulation would give.
FORMULATION = 2


@dataclass(frozen=True)
class Candidate:
    key: int  # application id
    title: str
    helsefellesskap: str  # community code, e.g. "troms-ofoten"; the lead community for joint ones
    amount: int  # whole kroner considered for the frame (never float money)
    score: float  # weighted score on 0..100 (already normalised by the caller)
    pre_project: bool = False
    municipality_count: int = 1
    patient_groups: frozenset[str] = frozenset()  # codes of prioritised patient groups it targets
    joint: bool = False  # spans several communities: does not count towards the per-community maximum
    # ((year, kroner), ...): the whole grant per year, checked against Rules.year_frames; empty: none
    amounts_by_year: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Rules:
    frame: int  # kroner available
    max_per_helsefellesskap: int | None = None  # max funded projects per community (joint ones excluded)
    # min municipality count -> max amount; a pre-project above its cap is not eligible
    pre_project_caps: dict[int, int] = field(default_factory=dict)
    # community -> share (sums to 1); a community without a share takes no part in the balance term
    population_share: dict[str, float] = field(default_factory=dict)
    earlier_allocations: dict[str, int] = field(default_factory=dict)  # community -> kroner, cumulative
    # Score points lost per unit of Σ_h |deviation_h| / T. Note that one misplaced
    # krone shows up twice (one community over, another under).
    balance_weight: float = 0.0
    uncovered_groups: frozenset[str] = frozenset()  # prioritised patient groups with no project so far
    group_bonus: float = 0.0  # score points gained per uncovered group the selection covers
    # Display names for the reasons; codes are shown where a name is missing.
    group_names: dict[str, str] = field(default_factory=dict)
    helsefellesskap_names: dict[str, str] = field(default_factory=dict)
    # year -> kroner free in the pot that year. When given, every year of a candidate's
    # amounts_by_year must have a frame here, and the selection must fit every year.
    year_frames: dict[int, int] = field(default_factory=dict)


@dataclass
class Proposal:
    selected: list[int]  # keys, in order of score
    total_amount: int
    total_score: float  # sum of candidate scores of the selection
    objective: float
    plain_selected: list[int]  # what the plain ranking funds
    plain_total_score: float
    score_cost: float  # plain_total_score - total_score
    reasons: dict[int, str]  # Norwegian explanation per candidate: why in, why out
    balance: dict[str, dict]  # per community: share, earlier, proposed, deviation before/after (kroner)
    covered_groups: list[str]
    status: str  # "optimal" or the solver status text
    solve_seconds: float
    # Added beyond the agreed interface:
    plain_objective: float = 0.0  # the plain ranking valued with the same objective
    balance_penalty: float = 0.0  # the penalty part of `objective`
    group_bonus_total: float = 0.0  # the bonus part of `objective`
    mip_gap: float = 0.0  # relative gap HiGHS reports; 0 when proven optimal
    optimal: bool = True
    solver: str = ""  # solver and version, for the decision log


# --------------------------------------------------------------------------
# Validation and eligibility


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(candidates: list[Candidate], rules: Rules) -> None:
    if not _is_int(rules.frame) or rules.frame < 0:
        raise ValueError("Rules.frame must be a non-negative int (kroner).")
    if rules.max_per_helsefellesskap is not None and (
        not _is_int(rules.max_per_helsefellesskap) or rules.max_per_helsefellesskap < 0
    ):
        raise ValueError("Rules.max_per_helsefellesskap must be a non-negative int or None.")
    for count, cap in rules.pre_project_caps.items():
        if not _is_int(count) or count < 1 or not _is_int(cap) or cap < 0:
            raise ValueError("Rules.pre_project_caps maps municipality counts (>= 1) to int kroner.")
    for community, amount in rules.earlier_allocations.items():
        if not _is_int(amount) or amount < 0:
            raise ValueError(f"Earlier allocation for {community!r} must be a non-negative int (kroner).")
    shares = rules.population_share
    if shares:
        if any(not math.isfinite(s) or s < 0 for s in shares.values()):
            raise ValueError("Population shares must be finite and non-negative.")
        # The targets share_h * T only add up to the money distributed when the shares sum to 1.
        if abs(sum(shares.values()) - 1.0) > 1e-6:
            raise ValueError(f"Population shares must sum to 1 (got {sum(shares.values())!r}).")
    for name in ("balance_weight", "group_bonus"):
        value = getattr(rules, name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"Rules.{name} must be finite and non-negative.")

    for year, amount in rules.year_frames.items():
        if not _is_int(year) or not _is_int(amount) or amount < 0:
            raise ValueError("Rules.year_frames maps int years to non-negative int kroner.")

    seen: set[int] = set()
    for c in candidates:
        for year, amount in c.amounts_by_year:
            if not _is_int(year) or not _is_int(amount) or amount <= 0:
                raise ValueError(f"Candidate {c.key}: amounts_by_year must be (int year, positive int kroner) pairs.")
        if c.key in seen:
            raise ValueError(f"Duplicate candidate key {c.key!r}.")
        seen.add(c.key)
        if not _is_int(c.amount):
            raise ValueError(f"Candidate {c.key}: amount must be int kroner, not {type(c.amount).__name__}.")
        if c.amount <= 0:
            raise ValueError(f"Candidate {c.key}: amount must be positive (got {c.amount}).")
        if not math.isfinite(c.score) or not 0 <= c.score <= 100:
            raise ValueError(f"Candidate {c.key}: score must be within 0..100 (got {c.score!r}).")
        if not _is_int(c.municipality_count) or c.municipality_count < 1:
            raise ValueError(f"Candidate {c.key}: municipality_count must be a positive int.")


def pre_project_cap(candidate: Candidate, rules: Rules) -> int | None:
    """The cap that applies to a pre-project, or None when there is none.

    The cap belongs to the largest threshold the municipality count reaches.
    Below the smallest threshold the strictest (smallest-threshold) cap applies,
    so no pre-project escapes the rule because the table starts at 2.
    """
    if not candidate.pre_project or not rules.pre_project_caps:
        return None
    reached = [k for k in rules.pre_project_caps if k <= candidate.municipality_count]
    threshold = max(reached) if reached else min(rules.pre_project_caps)
    return rules.pre_project_caps[threshold]


def _year_misfit(candidate: Candidate, rules: Rules) -> tuple[int, int, int | None] | None:
    """(year, amount, frame) of the first year the candidate cannot fit even alone; frame None: no frame."""
    if not rules.year_frames:
        return None
    for year, amount in sorted(candidate.amounts_by_year):
        frame = rules.year_frames.get(year)
        if frame is None or amount > frame:
            return year, amount, frame
    return None


def _eligible(candidate: Candidate, rules: Rules) -> bool:
    cap = pre_project_cap(candidate, rules)
    return (cap is None or candidate.amount <= cap) and candidate.amount <= rules.frame and _year_misfit(candidate, rules) is None


def _year_totals(selection) -> dict[int, int]:
    totals: dict[int, int] = {}
    for c in selection:
        for year, amount in c.amounts_by_year:
            totals[year] = totals.get(year, 0) + amount
    return totals


def _fits_years(candidate: Candidate, used: dict[int, int], rules: Rules) -> int | None:
    """The first year the candidate does not fit next to `used` (kroner per year already taken); None: fits."""
    if not rules.year_frames:
        return None
    for year, amount in sorted(candidate.amounts_by_year):
        if used.get(year, 0) + amount > rules.year_frames.get(year, -1):
            return year
    return None


def _ineligible_reason(candidate: Candidate, rules: Rules) -> str | None:
    # Kept apart from _eligible so that ranking and solving need no gettext, only the texts do.
    cap = pre_project_cap(candidate, rules)
    if cap is not None and candidate.amount > cap:
        n = candidate.municipality_count
        municipalities = _("1 kommune") if n == 1 else _("%(n)s kommuner") % {"n": n}
        return _("Ute: forprosjekt over beløpsgrensen (%(cap)s for %(municipalities)s)") % {
            "cap": kroner(cap),
            "municipalities": municipalities,
        }
    if candidate.amount > rules.frame:
        return _("Ute: søknadsbeløpet (%(amount)s) er større enn hele rammen (%(frame)s)") % {
            "amount": kroner(candidate.amount),
            "frame": kroner(rules.frame),
        }
    misfit = _year_misfit(candidate, rules)
    if misfit is not None:
        year, amount, frame = misfit
        if frame is None:
            return _("Ute: potten har ingen ramme for %(year)s, som det søkes om %(amount)s for") % {"year": year, "amount": kroner(amount)}
        return _("Ute: beløpet for %(year)s (%(amount)s) er større enn det som er ledig i potten det året (%(frame)s)") % {
            "year": year,
            "amount": kroner(amount),
            "frame": kroner(frame),
        }
    return None


# --------------------------------------------------------------------------
# Objective, evaluated in Python for any selection


def _balance_total(rules: Rules) -> int:
    return sum(rules.earlier_allocations.values()) + rules.frame


def _evaluate(selection: list[Candidate], rules: Rules) -> tuple[float, float, float, list[str]]:
    """(objective, penalty, bonus, covered groups) of a selection, computed exactly as the model does."""
    score = float(sum(c.score for c in selection))
    penalty = 0.0
    total = _balance_total(rules)
    if rules.balance_weight > 0 and rules.population_share and total > 0:
        proposed = _proposed_by_community(selection)
        deviation = sum(
            abs(rules.earlier_allocations.get(h, 0) + proposed.get(h, 0) - share * total)
            for h, share in rules.population_share.items()
        )
        penalty = rules.balance_weight * deviation / total
    covered = sorted({g for c in selection for g in c.patient_groups} & rules.uncovered_groups)
    bonus = float(rules.group_bonus * len(covered))
    return score - penalty + bonus, penalty, bonus, covered


def _proposed_by_community(selection: list[Candidate]) -> dict[str, int]:
    # Joint projects count towards their lead community: the caller names it in `helsefellesskap`.
    proposed: dict[str, int] = {}
    for c in selection:
        proposed[c.helsefellesskap] = proposed.get(c.helsefellesskap, 0) + c.amount
    return proposed


def _by_score(candidates) -> list[Candidate]:
    # Ties: the cheaper one first (leaves more room), then the key, so the order is reproducible.
    return sorted(candidates, key=lambda c: (-c.score, c.amount, c.key))


# --------------------------------------------------------------------------
# Plain ranking


def plain_ranking(candidates: list[Candidate], rules: Rules) -> list[int]:
    """What funding straight down the score list gives.

    Highest score first; a candidate that is ineligible, does not fit the
    remaining frame or would exceed its community's maximum is skipped and the
    list continues (it does not stop at the first misfit).
    """
    _validate(candidates, rules)
    return [c.key for c in _plain(candidates, rules)]


def _plain(candidates: list[Candidate], rules: Rules) -> list[Candidate]:
    remaining = rules.frame
    per_community: dict[str, int] = {}
    chosen = []
    used: dict[int, int] = {}
    for c in _by_score(candidates):
        if not _eligible(c, rules) or c.amount > remaining or _fits_years(c, used, rules) is not None:
            continue
        if not c.joint and rules.max_per_helsefellesskap is not None:
            if per_community.get(c.helsefellesskap, 0) >= rules.max_per_helsefellesskap:
                continue
            per_community[c.helsefellesskap] = per_community.get(c.helsefellesskap, 0) + 1
        chosen.append(c)
        remaining -= c.amount
        for year, amount in c.amounts_by_year:
            used[year] = used.get(year, 0) + amount
    return chosen


# --------------------------------------------------------------------------
# The exact model


@dataclass
class _Solved:
    chosen: list[Candidate]
    status: str
    optimal: bool
    gap: float
    seconds: float


# Kroner per unit of the money rows in the model.
MONEY_UNIT = 1000


def _solve(eligible: list[Candidate], plain: list[Candidate], rules: Rules, time_limit: float, warm_start: bool = True) -> _Solved:
    n = len(eligible)
    total = _balance_total(rules)
    use_balance = rules.balance_weight > 0 and bool(rules.population_share) and total > 0
    communities = sorted(rules.population_share) if use_balance else []
    groups = (
        sorted({g for c in eligible for g in c.patient_groups} & rules.uncovered_groups)
        if rules.group_bonus > 0
        else []
    )
    n_d, n_y = len(communities), len(groups)
    d0, y0 = n, n + n_d

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    # Fixed seed and one thread: the same input must give the same proposal at the meeting as in the papers.
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    # The sub-MIP heuristics RINS and RENS took most of the time on the hardest benchmark case (and
    # more than they saved on the others): the warm start and the root heuristics find the good
    # selections, the search proves them. Heuristics never change what counts as optimal.
    h.setOptionValue("mip_heuristic_run_rins", False)
    h.setOptionValue("mip_heuristic_run_rens", False)

    num_cols = n + n_d + n_y
    lower = np.zeros(num_cols)
    upper = np.ones(num_cols)
    # d_h is community h's penalty in score points, balance_weight * |deviation_h| / T; since
    # |deviation_h| <= T + share_h * T, 2 * balance_weight is a safe upper bound.
    upper[d0:y0] = 2.0 * rules.balance_weight
    h.addVars(num_cols, lower, upper)
    cost = np.zeros(num_cols)
    cost[:n] = [c.score for c in eligible]
    cost[d0:y0] = -1.0
    cost[y0:] = rules.group_bonus
    h.changeColsCost(num_cols, np.arange(num_cols, dtype=np.int32), cost)
    binaries = np.r_[np.arange(n), np.arange(y0, num_cols)].astype(np.int32)
    h.changeColsIntegrality(
        len(binaries), binaries, np.full(len(binaries), highspy.HighsVarType.kInteger)
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    rows_lo: list[float] = []
    rows_hi: list[float] = []
    rows: list[tuple[list[int], list[float]]] = []

    def row(lo: float, hi: float, idx: list[int], val: list[float]) -> None:
        rows_lo.append(lo)
        rows_hi.append(hi)
        rows.append((idx, val))

    inf = highspy.kHighsInf
    # Money rows in thousands of kroner (MONEY_UNIT): a one-krone overrun is still 1e-3, far above
    # HiGHS's feasibility tolerance, and we verify the selection exactly in kroner afterwards.
    unit = float(MONEY_UNIT)
    row(-inf, rules.frame / unit, list(range(n)), [c.amount / unit for c in eligible])

    for year in sorted(rules.year_frames):
        # Every year of a multi-year grant is booked against that year's frame, all or none.
        terms = [(i, amount / unit) for i, c in enumerate(eligible) for y, amount in c.amounts_by_year if y == year]
        if terms:
            row(-inf, rules.year_frames[year] / unit, [i for i, _v in terms], [v for _i, v in terms])

    if rules.max_per_helsefellesskap is not None:
        members: dict[str, list[int]] = {}
        for i, c in enumerate(eligible):
            if not c.joint:
                members.setdefault(c.helsefellesskap, []).append(i)
        for idx in members.values():
            if len(idx) > rules.max_per_helsefellesskap:
                row(-inf, float(rules.max_per_helsefellesskap), idx, [1.0] * len(idx))

    for k, community in enumerate(communities):
        # Measured in score points, so coefficients are of the order of the scores: HiGHS's
        # feasibility tolerance (1e-6 on a row) then costs at most 1e-6 points. In fractions of
        # T with the weight as cost, it cost up to weight * 1e-6, tenths of a point on large
        # instances: enough for HiGHS to call a selection optimal that was not quite.
        scale = rules.balance_weight / total
        target = scale * (rules.population_share[community] * total - rules.earlier_allocations.get(community, 0))
        idx = [i for i, c in enumerate(eligible) if c.helsefellesskap == community]
        frac = [scale * c.amount for c in eligible if c.helsefellesskap == community]
        # d >= spend - target  <=>  d - spend >= -target ; d >= target - spend  <=>  d + spend >= target
        row(-target, inf, [d0 + k] + idx, [1.0] + [-v for v in frac])
        row(target, inf, [d0 + k] + idx, [1.0] + frac)

    for k, group in enumerate(groups):
        idx = [i for i, c in enumerate(eligible) if group in c.patient_groups]
        row(-inf, 0.0, [y0 + k] + idx, [1.0] + [-1.0] * len(idx))

    starts, indices, values = [], [], []
    for idx, val in rows:
        starts.append(len(indices))
        indices.extend(idx)
        values.extend(val)
    h.addRows(
        len(rows),
        np.array(rows_lo),
        np.array(rows_hi),
        len(indices),
        np.array(starts, dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.array(values),
    )

    # The plain ranking is feasible, so HiGHS starts from it: under a time limit the
    # proposal is then never worse than what the committee would get without it.
    plain_keys = {c.key for c in plain}
    start = [i for i, c in enumerate(eligible) if c.key in plain_keys]
    if start and warm_start:
        # A complete start (penalties and covered groups too): given only the x that are 1, HiGHS
        # completes it with a sub-MIP and, after presolve, may report one selection's objective
        # with another selection's values.
        values = np.zeros(num_cols)
        values[start] = 1.0
        chosen_start = [eligible[i] for i in start]
        spent = _proposed_by_community(chosen_start)
        for k, community in enumerate(communities):
            deviation = rules.earlier_allocations.get(community, 0) + spent.get(community, 0) - rules.population_share[community] * total
            values[d0 + k] = rules.balance_weight * abs(deviation) / total
        covered = {g for c in chosen_start for g in c.patient_groups}
        for k, group in enumerate(groups):
            values[y0 + k] = 1.0 if group in covered else 0.0
        solution = highspy.HighsSolution()
        solution.col_value = values
        h.setSolution(solution)

    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began

    model_status = h.getModelStatus()
    info = h.getInfo()
    optimal = model_status == highspy.HighsModelStatus.kOptimal
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = "optimal" if optimal else h.modelStatusToString(model_status)
    if not has_solution:
        # Cannot happen for this model (x = 0 is feasible), but never invent a proposal.
        return _Solved(list(plain), f"{status}; no solution found, showing the plain ranking", False, math.inf, seconds)

    values_x = h.getSolution().col_value[:n]
    chosen = [c for c, v in zip(eligible, values_x) if v > 0.5]
    reported = info.objective_function_value
    if _evaluate(chosen, rules)[0] < reported - OBJECTIVE_TOLERANCE * (1 + abs(reported)):
        # HiGHS 1.16 can report the objective of a better selection found from the warm start in
        # its presolved space while returning the start itself. Never claim that: solve again
        # without a start, and if the values still disagree, do not call the result optimal.
        # (The other way round is harmless: a penalty variable above its deviation, say, in an
        # incumbent cut short by the time limit.)
        if warm_start and start:
            again = _solve(eligible, plain, rules, max(time_limit - seconds, 1e-3), warm_start=False)
            again.seconds += seconds
            return again
        optimal = False
        status = "inconsistent solution from HiGHS"
        info_gap = math.inf
    else:
        info_gap = float(info.mip_gap)
    gap = 0.0 if optimal else info_gap
    if not optimal:
        status = f"{status} (gap {gap:.2e})"
    return _Solved(chosen, status, optimal, gap, seconds)


@functools.cache
def _highs_version() -> str:
    return highspy.Highs().version()


def _check_feasible(chosen: list[Candidate], rules: Rules) -> None:
    # Integer re-check of the hard rules: HiGHS works with tolerances, the frame does not.
    if sum(c.amount for c in chosen) > rules.frame:
        raise RuntimeError("Optimiser returned a selection above the frame.")
    if rules.year_frames and any(total > rules.year_frames.get(year, -1) for year, total in _year_totals(chosen).items()):
        raise RuntimeError("Optimiser returned a selection above a year's frame.")
    if rules.max_per_helsefellesskap is not None:
        counts: dict[str, int] = {}
        for c in chosen:
            if not c.joint:
                counts[c.helsefellesskap] = counts.get(c.helsefellesskap, 0) + 1
        if any(v > rules.max_per_helsefellesskap for v in counts.values()):
            raise RuntimeError("Optimiser returned a selection above the per-community maximum.")
    if not all(_eligible(c, rules) for c in chosen):
        raise RuntimeError("Optimiser returned an ineligible candidate.")


# --------------------------------------------------------------------------
# Public entry point


def propose(candidates: list[Candidate], rules: Rules, time_limit: float = 20.0) -> Proposal:
    """Propose a selection; the committee decides."""
    candidates = list(candidates)
    _validate(candidates, rules)
    if not time_limit > 0:
        raise ValueError("time_limit must be positive.")

    plain = _plain(candidates, rules)
    eligible = [c for c in candidates if _eligible(c, rules)]
    ineligible = {c.key: _ineligible_reason(c, rules) for c in candidates if not _eligible(c, rules)}

    if eligible:
        solved = _solve(eligible, plain, rules, time_limit)
    else:
        solved = _Solved([], "optimal", True, 0.0, 0.0)
    _check_feasible(solved.chosen, rules)

    chosen = _by_score(solved.chosen)
    objective, penalty, bonus, covered = _evaluate(chosen, rules)
    plain_objective = _evaluate(plain, rules)[0]
    if objective < plain_objective - OBJECTIVE_TOLERANCE:
        # Only possible without a proven optimum; the plain ranking is a feasible answer, so never do worse.
        chosen = plain
        objective, penalty, bonus, covered = _evaluate(chosen, rules)

    total_score = float(sum(c.score for c in chosen))
    plain_total_score = float(sum(c.score for c in plain))
    return Proposal(
        selected=[c.key for c in chosen],
        total_amount=sum(c.amount for c in chosen),
        total_score=total_score,
        objective=objective,
        plain_selected=[c.key for c in plain],
        plain_total_score=plain_total_score,
        score_cost=plain_total_score - total_score,
        reasons=_reasons(candidates, chosen, plain, ineligible, rules, solved.optimal),
        balance=_balance_table(candidates, chosen, plain, rules),
        covered_groups=covered,
        status=solved.status,
        solve_seconds=solved.seconds,
        plain_objective=plain_objective,
        balance_penalty=penalty,
        group_bonus_total=bonus,
        mip_gap=solved.gap,
        optimal=solved.optimal,
        solver=f"HiGHS {_highs_version()}",
    )


# --------------------------------------------------------------------------
# Explanations


def _score_text(score: float) -> str:
    return f"{score:.1f}".replace(".", ",")


def _balance_table(candidates, chosen, plain, rules: Rules) -> dict[str, dict]:
    earlier_total = sum(rules.earlier_allocations.values())
    total = earlier_total + rules.frame
    proposed = _proposed_by_community(chosen)
    plain_proposed = _proposed_by_community(plain)
    names = set(rules.population_share) | set(rules.earlier_allocations) | {c.helsefellesskap for c in candidates}
    table = {}
    for h in sorted(names):
        share = rules.population_share.get(h)
        earlier = rules.earlier_allocations.get(h, 0)
        entry = {
            "share": share,
            "earlier": earlier,
            "proposed": proposed.get(h, 0),
            "plain_proposed": plain_proposed.get(h, 0),
            "target_after": None,
            # Before: against the share of the money already distributed; after: against the share of T.
            "deviation_before": None,
            "deviation_after": None,
            "plain_deviation_after": None,
        }
        if share is not None:
            entry["target_after"] = round(share * total)
            entry["deviation_before"] = round(earlier - share * earlier_total)
            entry["deviation_after"] = round(earlier + entry["proposed"] - share * total)
            entry["plain_deviation_after"] = round(earlier + entry["plain_proposed"] - share * total)
        table[h] = entry
    return table


def _reasons(candidates, chosen, plain, ineligible, rules: Rules, optimal: bool) -> dict[int, str]:
    chosen_keys = {c.key for c in chosen}
    plain_keys = {c.key for c in plain}
    total = _balance_total(rules)
    use_balance = rules.balance_weight > 0 and bool(rules.population_share) and total > 0
    proposed = _proposed_by_community(chosen)
    remaining = rules.frame - sum(c.amount for c in chosen)
    used_by_year = _year_totals(chosen)
    objective = _evaluate(chosen, rules)[0]
    lowest_in = min((c.score for c in chosen), default=None)
    coverers: dict[str, list[int]] = {}
    for c in chosen:
        for g in c.patient_groups & rules.uncovered_groups:
            coverers.setdefault(g, []).append(c.key)
    counts: dict[str, int] = {}
    for c in chosen:
        if not c.joint:
            counts[c.helsefellesskap] = counts.get(c.helsefellesskap, 0) + 1

    def community_name(code: str) -> str:
        return rules.helsefellesskap_names.get(code, code)

    def improves_balance(c: Candidate) -> bool:
        if not use_balance or c.helsefellesskap not in rules.population_share:
            return False
        now = rules.earlier_allocations.get(c.helsefellesskap, 0) + proposed.get(c.helsefellesskap, 0)
        target = rules.population_share[c.helsefellesskap] * total
        return abs(now - target) < abs(now - c.amount - target)

    def worsens_balance(c: Candidate) -> bool:
        # Would taking it (room aside) move its community further from its population share?
        if not use_balance or c.helsefellesskap not in rules.population_share:
            return False
        now = rules.earlier_allocations.get(c.helsefellesskap, 0) + proposed.get(c.helsefellesskap, 0)
        target = rules.population_share[c.helsefellesskap] * total
        return abs(now + c.amount - target) > abs(now - target)

    reasons: dict[int, str] = {}
    for c in candidates:
        parts: list[str] = []
        if c.key in chosen_keys:
            # Groups only this project covers: the bonus hinges on it.
            sole = sorted(g for g, keys in coverers.items() if keys == [c.key] and rules.group_bonus > 0)
            if c.key in plain_keys:
                parts.append(_("høy vektet skår (%(score)s)") % {"score": _score_text(c.score)})
            else:
                parts.append(_("vektet skår %(score)s") % {"score": _score_text(c.score)})
            for g in sole:
                parts.append(
                    _("dekker pasientgruppe uten prosjekter (%(group)s)") % {"group": rules.group_names.get(g, g)}
                )
            if improves_balance(c):
                parts.append(
                    _("bedrer den geografiske balansen for %(community)s")
                    % {"community": community_name(c.helsefellesskap)}
                )
            if c.key not in plain_keys:
                if not sole and not improves_balance(c):
                    parts.append(_("gir høyere samlet skår innenfor rammen enn ren rangering"))
                parts.append(_("ville ikke kommet med ved ren rangering etter skår"))
            text = _("Med: %(why)s") % {"why": "; ".join(parts)}
        elif c.key in ineligible:
            text = ineligible[c.key]
        else:
            full = (
                not c.joint
                and rules.max_per_helsefellesskap is not None
                and counts.get(c.helsefellesskap, 0) >= rules.max_per_helsefellesskap
            )
            if full:
                text = _("Ute: helsefellesskapet har allerede %(n)s prosjekter i forslaget") % {
                    "n": counts.get(c.helsefellesskap, 0)
                }
            elif c.amount <= remaining and _fits_years(c, used_by_year, rules) is None:
                # It fits and breaks no rule, so adding it must lower the objective; only balance can do that.
                with_it = _evaluate(chosen + [c], rules)[0]
                if with_it < objective - OBJECTIVE_TOLERANCE and use_balance:
                    text = _(
                        "Ute: ville forverret den geografiske balansen (%(community)s) mer enn skåren veier opp"
                    ) % {"community": community_name(c.helsefellesskap)}
                else:
                    text = _("Ute: like god løsning uten prosjektet; utvalget kan vurdere å ta det med")
            elif lowest_in is not None and c.score < lowest_in:
                text = _("Ute: lavere vektet skår enn prosjektene som er med (%(score)s)") % {
                    "score": _score_text(c.score)
                }
            elif c.amount <= remaining:
                # The frame year has room; another year of the project has not.
                text = _("Ute: får ikke plass innenfor det som er ledig i %(year)s sammen med prosjektene som er med") % {
                    "year": _fits_years(c, used_by_year, rules)
                }
            elif worsens_balance(c):
                text = _(
                    "Ute: får ikke plass innenfor rammen uten å forverre den geografiske balansen (%(community)s)"
                ) % {"community": community_name(c.helsefellesskap)}
            else:
                text = _(
                    "Ute: får ikke plass innenfor rammen sammen med prosjekter med høyere samlet verdi "
                    "(vektet skår %(score)s, %(amount)s)"
                ) % {"score": _score_text(c.score), "amount": kroner(c.amount)}
            if c.key in plain_keys:
                text += _("; ville vært med ved ren rangering etter skår")
        if not optimal:
            text += " " + _("(Merk: løseren nådde tidsgrensen, så forslaget er kanskje ikke optimalt.)")
        reasons[c.key] = text
    return reasons
