"""Everything chapter 3 glues, in one dict: ``glued_values(records)`` maps
each name the chapter's prose reads (``{glue:text}`name```) to its value,
numbers and the readings' sentences alike, so the notebook glues them in one
loop and a test can check a name against the records without running it."""

from __future__ import annotations

from gobig.studies.alphacode.analysis import randomization_test
from gobig.studies.alphacode.claims import cutoff_scan
from gobig.studies.alphacode.frames import (
    baseline_cost,
    curve_record,
    exclusions_frame,
    format_count,
    sampled_records,
    samples_frame,
    split_records,
    splits_frame,
)
from gobig.studies.alphacode.views import typed_records

#: The model spec's values the prose quotes, glued under their own names.
MODEL_VALUES = ("model_layers", "model_dim", "vocab_size", "corpus_cutoff", "finetune_steps", "temperature")


def glued_values(records: list) -> dict[str, object]:
    """Every name chapter 3 glues, with its value (records stored or typed)."""
    # The readings import this package; imported here, the package needs no readings to load.
    from gobig.report.readings.alphacode import alphacode_readings

    records = typed_records(records)
    first = records[0]
    splits = splits_frame(records)
    temporal = next(r for r in records if r.config.split == "temporal")
    temporal_row = splits[splits["split"] == "temporal"].iloc[0]
    model = next((r.model for r in split_records(records) if r.model), None)
    values: dict[str, object] = {
        "n_problems": temporal.split.pool,
        "n_train": len(temporal.split.train),
        "n_valid": len(temporal.split.valid),
        "cutoff": temporal.split.cutoff,
        "n_twin_groups": len(temporal.twin_groups),
        "n_random": len(splits[splits["kind"] == "random"]),
        "model_params": format_count(model.parameters) if model else "no model in these records, so no",
        "samples_per_problem": first.config.model.samples_per_problem,
        "device": ", ".join(sorted({r.device_name for r in records})),
        **alphacode_readings(records),
        "twin_threshold": first.config.splits.twin_threshold,
        "leak_threshold": first.config.splits.leak_threshold,
        "temporal_cut_crossing": int(splits.loc[splits["split"] == "temporal-cut", "crossing_twins"].iloc[0]),
    }

    scan = cutoff_scan(records)
    values.update(cut_separating=scan["separating"], cut_cutoffs=scan["cutoffs"])

    # The temporal split's baseline among random splits of its size, and the twin-aware splits'.
    test = randomization_test(records)
    aware = splits[splits["kind"] == "twin-aware"]
    values.update(
        randomization_draws=f"{test['draws']:,}",
        randomization_p=test["p_value"],
        randomization_below=f"{test['at_or_below']:,}",
        randomization_low=test["low"],
        randomization_high=test["high"],
        temporal_baseline=float(temporal_row["baseline_rate"]),
        aware_solved=f"{int(aware['baseline_solved'].sum())} of {int(aware['trusted_valid'].sum())} judged problems (all seeds)",
        temporal_solved=f"{int(temporal_row['baseline_solved'])} of {int(temporal_row['trusted_valid'])}",
    )

    # The pass matrix's cost, and the problems no rate counts.
    cost = baseline_cost(records)
    values.update(
        matrix_pairs=f"{cost.pairs:,}",
        matrix_runs=f"{cost.test_runs:,}",
        matrix_hours=f"{cost.wall_s / 3600:.2f} hours" if cost.wall_s >= 3600 else f"{cost.wall_s / 60:.0f} minutes",
        n_excluded=len(exclusions_frame(records)),
    )

    # The later problems: those published after every problem of the pool.
    curve = curve_record(records)
    later = curve.out_of_period
    pool_last = max(row.contest_id for row in curve.rows)
    later_rows = [row for row in later.rows if row.contest_id > pool_last] if later else []
    values.update(
        later_first=min(row.contest_id for row in later_rows) if later_rows else "none",
        later_last=max(row.contest_id for row in later_rows) if later_rows else "none",
        later_trusted=sum(row.trusted for row in later_rows),
        later_problems=len(later_rows),
        trust_agreeing=later.trust_rule.agreeing if later else 0,
        trust_tries=later.trust_rule.tries if later else 0,
    )

    # The model's spec, and what its samples did.
    values.update({name: getattr(first.config.model, name) for name in MODEL_VALUES})
    sampled = sampled_records(records)
    totals = samples_frame(records)
    values.update(
        sampled_splits=" and ".join(r.name for r in sampled) or "no split",
        syntax_share=float(100 * totals["syntax_ok"].sum() / max(1, totals["samples"].sum())),
        public_passing=int(totals["public_passing"].sum()),
        correct=int(totals["correct"].sum()),
        model_judged=int(sum(len(r.model.outcomes) for r in sampled)),
    )
    return values
