"""Benchmark of the funding proposal (rsportal.assessment.optimiser.propose).

Run from the project root:  .venv/bin/python bench/optimiser.py
Writes bench/results/optimiser.json and bench/results/optimiser.md.

The instances are synthetic but shaped like the Helse Nord scheme scaled up:
19 communities with population shares, amounts log-uniform 0.1-7 MNOK,
weighted scores 30-95, ~10 % pre-projects (some above their cap), 7
prioritised patient groups of which 2 have no project yet, ~5 % joint
projects, and earlier rounds that are off-share by up to ±30 %.
"""

import dataclasses
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The reasons are gettext strings, so Django must be configured even though no database is touched.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsportal.settings")
import django  # noqa: E402

django.setup()

import highspy  # noqa: E402

from rsportal.assessment.optimiser import Candidate, Rules, propose  # noqa: E402

MNOK = 1_000_000
SIZES = (50, 500, 2000)
RUNS = 3
TIME_LIMIT = 60.0
SEED = 2026
# Synthetic populations (thousands) for 19 communities; only the spread matters here.
POPULATION = [700, 600, 450, 400, 350, 330, 300, 290, 280, 250, 230, 200, 190, 180, 170, 140, 130, 80, 75]
GROUPS = ["barn", "fodsel", "eldre", "psykisk", "rus", "rehab", "utskrivningsklare"]
UNCOVERED = frozenset({"barn", "fodsel"})
CAPS = {1: 1_500_000, 2: 2_000_000, 3: 2_500_000}


YEARS = (2027, 2028, 2029)


def instance(n: int, seed: int, frame: int | None = None, balance_factor: float = 1.0, call_rules: bool = False):
    """call_rules: the call's own rules as the ranking page passes them, i.e. a maximum number of
    funded projects per helsefellesskap, and multi-year grants whose every year must fit that
    year's free money in the pot (Rules.year_frames)."""
    rng = random.Random(seed * 100_003 + n)
    communities = [f"hf{i + 1:02d}" for i in range(len(POPULATION))]
    shares = {h: p / sum(POPULATION) for h, p in zip(communities, POPULATION)}
    candidates = []
    for key in range(1, n + 1):
        pre = rng.random() < 0.10
        low, high = (0.3, 3.0) if pre else (0.1, 7.0)
        amount = round(math.exp(rng.uniform(math.log(low), math.log(high))) * MNOK, -3)
        # The uncovered groups are rare on purpose: that is why they are uncovered.
        weights = [0.03, 0.03, 0.25, 0.25, 0.15, 0.15, 0.14]
        targeted = {g for g, w in zip(GROUPS, weights) if rng.random() < w}
        by_year = ()
        if call_rules:
            length = 1 if pre else rng.choice([1, 2, 2, 3, 3, 3])
            by_year = tuple((year, int(round(amount * rng.uniform(0.6, 1.2), -3)) if i else int(amount)) for i, year in enumerate(YEARS[:length]))
        candidates.append(
            Candidate(
                amounts_by_year=by_year,
                key=key,
                title=f"Prosjekt {key}",
                helsefellesskap=rng.choices(communities, weights=POPULATION)[0],
                amount=int(amount),
                score=round(rng.uniform(30, 95), 1),
                pre_project=pre,
                municipality_count=rng.randint(1, 5),
                patient_groups=frozenset(targeted),
                joint=rng.random() < 0.05,
            )
        )
    asked = sum(c.amount for c in candidates)
    frame = frame if frame is not None else round(asked * 0.25)
    earlier_total = 2 * frame
    raw = {h: s * rng.uniform(0.7, 1.3) for h, s in shares.items()}
    earlier = {h: round(earlier_total * v / sum(raw.values())) for h, v in raw.items()}
    total = sum(earlier.values()) + frame
    rules = Rules(
        frame=frame,
        pre_project_caps=CAPS,
        population_share=shares,
        earlier_allocations=earlier,
        # About one score point per MNOK of total deviation (Σ|d|), whatever the size of the instance.
        balance_weight=balance_factor * total / MNOK,
        uncovered_groups=UNCOVERED,
        group_bonus=20.0,
    )
    if call_rules:
        # Binding for the large communities: about 80 % of an even share of the funded projects.
        funded_guess = n * frame / asked
        year_frames = {year: round(frame * factor) for year, factor in zip(YEARS, (1.0, 0.8, 0.6))}
        rules = dataclasses.replace(rules, max_per_helsefellesskap=max(2, round(0.8 * funded_guess / len(communities))), year_frames=year_frames)
    return candidates, rules, asked


def bench(n: int, frame: int | None, label: str, balance_factor: float = 1.0, call_rules: bool = False) -> dict:
    candidates, rules, asked = instance(n, SEED, frame, balance_factor, call_rules)
    walls, solves, proposal = [], [], None
    for _ in range(RUNS):
        began = time.perf_counter()
        proposal = propose(candidates, rules, time_limit=TIME_LIMIT)
        walls.append(time.perf_counter() - began)
        solves.append(proposal.solve_seconds)
    row = {
        "variant": label,
        "n": n,
        "frame": rules.frame,
        "asked": asked,
        "mean_amount": round(asked / n),
        "funded": len(proposal.selected),
        "plain_funded": len(proposal.plain_selected),
        "median_seconds": statistics.median(walls),
        "median_solve_seconds": statistics.median(solves),
        "max_seconds": max(walls),
        "status": proposal.status,
        "time_limit_hit": not proposal.optimal,
        "mip_gap": proposal.mip_gap,
        "objective": proposal.objective,
        "plain_objective": proposal.plain_objective,
        "total_score": proposal.total_score,
        "plain_total_score": proposal.plain_total_score,
        "score_cost": proposal.score_cost,
        "balance_penalty": proposal.balance_penalty,
        "plain_balance_penalty": plain_penalty(candidates, rules, proposal.plain_selected),
        "covered_groups": proposal.covered_groups,
        "balance_weight": rules.balance_weight,
        "group_bonus": rules.group_bonus,
    }
    print(
        f"{label:>12} n={n:>5} {row['median_seconds']:7.2f}s  {row['status']:<30} "
        f"funded={row['funded']:>4}  objective={row['objective']:.2f}  plain={row['plain_objective']:.2f}",
        flush=True,
    )
    return row


def plain_penalty(candidates, rules, keys) -> float:
    by_key = {c.key: c for c in candidates}
    total = sum(rules.earlier_allocations.values()) + rules.frame
    spent = dict(rules.earlier_allocations)
    for k in keys:
        h = by_key[k].helsefellesskap
        spent[h] = spent.get(h, 0) + by_key[k].amount
    deviation = sum(abs(spent.get(h, 0) - s * total) for h, s in rules.population_share.items())
    return rules.balance_weight * deviation / total


def markdown(rows, meta) -> str:
    lines = [
        "# Optimiser benchmark",
        "",
        f"{meta['date']} · HiGHS {meta['highs']} (1 thread, mip_rel_gap 0, time limit {TIME_LIMIT:.0f} s) · "
        f"Python {meta['python']} · {meta['cpus']} CPUs (load average {meta['load_average_1min']:.1f} at the start) · seed {SEED} · median of {RUNS} runs of propose() "
        "(model building, solve and reasons).",
        "",
        "Balance on (≈1 score point per MNOK of total deviation Σ|d|), group bonus 20 points for each of 2 "
        "uncovered groups. `25%` = frame is 25 % of the total asked; `46.3M` = the real 2026 frame; "
        "`bal×10` = balance weight ten times stronger (stress case); `rules` = with the call's rules as the ranking page "
        "passes them: a maximum of funded projects per helsefellesskap (binding for the large ones) and multi-year grants "
        "whose every year must fit that year's frame (100 %, 80 %, 60 % of the first year's).",
        "",
        "| frame | n | funded | median s | solver s | status | MIP gap | objective | plain ranking objective "
        "| score cost | balance penalty (plain → proposal) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['n']} | {r['funded']} | {r['median_seconds']:.2f} | "
            f"{r['median_solve_seconds']:.2f} | {r['status']} | {r['mip_gap']:.1e} | {r['objective']:.1f} | "
            f"{r['plain_objective']:.1f} | {r['score_cost']:.1f} | "
            f"{r['plain_balance_penalty']:.1f} → {r['balance_penalty']:.1f} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    meta = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "highs": highspy.Highs().version(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "seed": SEED,
        "runs": RUNS,
        "time_limit": TIME_LIMIT,
        # The machine may be shared: the load before the run says how much the times are to be trusted.
        "load_average_1min": os.getloadavg()[0],
    }
    rows = [bench(n, None, "25%") for n in SIZES]
    rows += [bench(n, 46_300_000, "46.3M") for n in SIZES]
    # Stress: balance ten times stronger, the variant that hit the time limit in the research benchmark.
    rows += [bench(n, None, "25% bal×10", balance_factor=10.0) for n in SIZES]
    # The call's rules as the ranking page passes them: a maximum per helsefellesskap and every year's frame.
    rows += [bench(n, None, "25% rules", call_rules=True) for n in SIZES]
    rows += [bench(n, None, "25% rules bal×10", balance_factor=10.0, call_rules=True) for n in SIZES]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "optimiser.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2, ensure_ascii=False) + "\n")
    (out / "optimiser.md").write_text(markdown(rows, meta), encoding="utf-8")
    print(f"wrote {out / 'optimiser.json'} and {out / 'optimiser.md'}")


if __name__ == "__main__":
    main()
