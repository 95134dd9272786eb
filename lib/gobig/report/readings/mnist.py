"""Chapter 1's sentences that read its records (``mnist_readings``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gobig.studies import mnist

#: A gap or a robust accuracy under this is "none" (seed noise on 10,000 images is ~0.5 points).
NEGLIGIBLE = 0.01
#: Natural models under this robust accuracy at eps 0.3 count as not robust (Madry et al.: ~0%).
NOT_ROBUST = 0.05


#: A ratio of local gradient norms within this factor of 1 counts as unchanged.
SAME_RATIO = 1.1


def mnist_readings(results, claims: pd.DataFrame | None = None, runs: pd.DataFrame | None = None) -> dict[str, str]:
    """Chapter 1's sentences that read its results (Madry family, eps 0.3).
    ``results``: ``mnist.load_results``' (or ``mnist.Results.of(records)``:
    then no re-attack or control profile beyond what they hold). ``claims`` and
    ``runs`` are ``mnist.claims_table`` and ``mnist.runs_frame`` of them
    when the caller has them: each is built once per page (the table
    bootstraps the capacity fits)."""
    records, controls = mnist.unpack(results)
    if runs is None:
        runs = mnist.runs_frame(records)
    if claims is None:
        claims = mnist.claims_table(results, runs)
    collapse = controls.get(mnist.COLLAPSE_PROFILE)
    madry = runs[runs["family"] == "madry"]
    # Robust accuracy is read at the radius nearest 0.3 that a rerun measured.
    eps = runs["robust_eps"].dropna()
    radius = f"ε = {eps.iloc[0]:g}" if len(eps) else "ε = 0.3"
    return {
        "threshold_reading": _thresholds(claims),
        "pgd_threshold_reading": _thresholds(claims, "pgd_accuracy"),
        "threshold_conditions": mnist.threshold_conditions(runs) or "These records hold no PGD-trained Madry model",
        "natural_reading": _natural_robustness(runs, radius),
        "capacity_reading": _capacity_trend(mnist.mean_by_model(runs, "madry", "pgd")),
        "lipschitz_reading": _lipschitz_change(madry),
        "tightness_reading": _attack_tightness(records),
        "collapse_reading": _collapse(claims),
        "attack_gain_reading": _attack_gain(runs),
        "plain_reading": _plain_thresholds(runs),
        "recipe_reading": _recipe(runs, claims, collapse),
        "recipe_summary": _recipe_summary(runs, claims, collapse),
        "pilot_reading": _pilot(mnist.typed_records(records)),
        "madry_comparison_reading": _madry_comparison(runs),
        "law_reading": _law(runs),
        "monitor_reading": _monitor(mnist.typed_records(records)),
    }


def mnist_glued(
    results, claims: pd.DataFrame | None = None, params: dict | None = None, runs: pd.DataFrame | None = None
) -> dict:
    """Every value chapter 1 glues, by name: its numbers and its reading
    sentences, so the chapter glues them in one loop. ``results``,
    ``claims`` and ``runs`` as in ``mnist_readings``; ``params``, the
    run's parameters, give ``design_reading``."""
    from gobig.methods.scaling import law
    from gobig.methods.stats import intervals

    records, _ = mnist.unpack(results)
    if runs is None:
        runs = mnist.runs_frame(records)
    if claims is None:
        claims = mnist.claims_table(results, runs)
    crosscheck = mnist.crosscheck_frame(records)
    pgd_runs = runs[runs["mode"] == "pgd"]
    # The law's comparison in its own units when every record holds the scales (law.rescale_lipschitz).
    bound = "spectral_bound_law" if pgd_runs["spectral_bound_law"].notna().all() else "spectral_bound"
    values = {
        **({"design_reading": design_reading(params)} if params is not None else {}),
        "n_times_d": law.smooth_interpolation_params(law.MNIST_N, law.MNIST_D),
        "num_runs": len(records),
        "devices": ", ".join(mnist.devices(records)),
        "law_n": int(runs["train_images"].max()),
        "claims_supported": int((claims["verdict"] == "supported").sum()),
        "claims_total": len(claims),
        "below_law": int((pgd_runs[bound] < pgd_runs["law_lower_bound"]).sum()),
        "pgd_run_count": len(pgd_runs),
        **mnist_readings(results, claims, runs),
        "sweep_reading": _sweep(mnist.eps_sweep_frame(records)),
        "strong_square_reading": _strong_square(mnist.stronger_attack_frame(records)),
    }
    if not crosscheck.empty:
        # In percentage points of robust accuracy.
        values["pgd_agreement"] = float(100 * (crosscheck["gobig_pgd"] - crosscheck["torchattacks_pgd"]).abs().max())
        values["apgd_gap"] = float(100 * (crosscheck["gobig_pgd"] - crosscheck["torchattacks_apgd_ce"]).max())
    blog = runs[runs["family"] == "blog"]
    if not blog.empty:
        low, high = intervals.clopper_pearson(int(blog["clean_correct"].sum()), int(blog["clean_images"].sum()))
        # Two decimals: the claim is 99.2%, and the seeds differ in the first.
        accuracy = blog["clean_accuracy"]
        seeds = (
            "1 seed"
            if len(blog) == 1
            else f"seeds {100 * accuracy.min():.2f}-{100 * accuracy.max():.2f}%, {len(blog)} seeds pooled"
        )
        values["blog_accuracy"] = (
            f"{accuracy.mean():.2%} clean accuracy ({seeds}; exact 95% interval {100 * low:.2f}-{100 * high:.2f}%)"
        )
        values["blog_train_images"] = int(blog["train_images"].iloc[0])
    return values


def _plain_thresholds(runs: pd.DataFrame) -> str:
    """The blog's thresholds in its own word, accuracy: the smallest
    naturally trained Madry model and what it reaches."""
    natural = mnist.mean_by_model(runs, "madry", "natural")
    if natural.empty:
        return "No naturally trained Madry model is in these records, so the plain reading is not tested"
    smallest = natural.iloc[0]
    levels = [level for level in (0.90, 0.95) if smallest.clean_accuracy >= level]
    reach = (
        f"already passes {' and '.join(f'{level:.0%}' for level in levels)}"
        if levels
        else "reaches neither 90% nor 95%"
    )
    return (
        f"Read as plain accuracy, the blog's own word, the smallest naturally trained network ({smallest.num_params:,.0f} parameters) "
        f"{reach}: {mnist.seed_mean_text(smallest, 'clean_accuracy')} clean accuracy"
    )


def _attack_gain(runs: pd.DataFrame) -> str:
    """How much the attacks after PGD-40 lower the adversarially trained
    models' robust accuracy at eps 0.3 (per model: PGD-40's accuracy minus
    the per-example worst case over every attack)."""
    attacked = runs[(runs["mode"] != "natural") & runs["pgd_accuracy"].notna() & runs["robust_accuracy"].notna()]
    if attacked.empty:
        return "These records hold PGD's robust accuracy only: no stronger attack was run after it"
    gain = 100 * (attacked["pgd_accuracy"] - attacked["robust_accuracy"])
    worst = attacked.loc[gain.idxmax()]
    return (
        f"On the {len(attacked)} adversarially trained models, the attacks after PGD-40 lower its robust accuracy by "
        f"{gain.mean():.1f} points on average and by at most {gain.max():.1f} ({worst.family} {worst['size']:g}, seed {worst.seed:g})"
    )


def _collapse(claims: pd.DataFrame) -> str:
    """Why the collapse row says what it says (the ramp, or the no-ramp runs)."""
    row = claims.set_index("claim").loc[mnist.COLLAPSE_CLAIM]
    if row["verdict"] == "pending":
        return "The collapse claim is pending: no PGD-trained Madry model is in these records"
    if row["why"].startswith("trained with a radius ramp"):
        return (
            "The collapse row is inconclusive because of how these models were trained: PGD training here ramps the radius up from 0 "
            "(`TRAIN_EPS_WARMUP`) so that short CPU runs learn at all, while Madry et al. train at ε = 0.3 from the first step, and their "
            f"claim is about that recipe; the `{mnist.COLLAPSE_PROFILE}` profile (scales 1 and 2 without the ramp) tests it as stated once its records are committed"
        )
    return (
        f"The collapse row reads the `{mnist.COLLAPSE_PROFILE}` profile's models, trained as Madry et al. train, and its controls "
        f"`{mnist.COLLAPSE_LARGER}` and `{mnist.COLLAPSE_LONGER}` ({row['measured']}): {row['verdict']}, because {row['why']}"
    )


def _thresholds(claims: pd.DataFrame, reading: str = "robust_accuracy") -> str:
    """Which of the blog's robust-accuracy levels the capacity fit places
    (a verdict either way) and which it leaves open (inconclusive), in one
    of the robust readings (``mnist.ROBUST_READINGS``)."""
    verdicts = claims.set_index("claim")["verdict"]
    words = mnist.ROBUST_READINGS[reading]
    levels = {f"{level:.0%}": claim + words for (level, _), (claim, _) in mnist.THRESHOLD_CLAIMS.items()}
    if all(verdicts[claim] == "pending" for claim in levels.values()):
        if reading != "robust_accuracy":
            return "none is tested: these records keep no PGD-40 accuracy beside the worst case"
        return "none is tested: no PGD-trained Madry model was evaluated at ε = 0.3"
    placed = [level for level, claim in levels.items() if verdicts[claim] in ("supported", "not supported")]
    open_ = [level for level in levels if level not in placed]
    if not placed:
        return "the capacity fit places neither the " + " nor the ".join(open_) + " level"
    # Each placed level with its verdict: the readings can disagree.
    said = " and the ".join(f"{level} level ({verdicts[levels[level]]})" for level in placed)
    if not open_:
        return f"the capacity fit places the {said}"
    return f"the capacity fit places the {said} and cannot place the {' or the '.join(open_)} level"


def _natural_robustness(runs: pd.DataFrame, radius: str) -> str:
    """The most robust naturally trained model of each family (seed means)."""
    # The blog's model is not attacked (its claim is clean accuracy): the capacity families are.
    natural = runs[(runs["mode"] == "natural") & (runs["family"] != "blog") & runs["robust_accuracy"].notna()]
    if natural.empty:
        return "No naturally trained model is in these records"
    tops = []
    for family in sorted(set(natural["family"])):
        means = mnist.mean_by_model(runs, family, "natural")
        top = means.loc[means["robust_accuracy"].idxmax()]
        name = "Madry's networks" if family == "madry" else f"the {family.upper()}s"
        where = "at every size" if top.robust_accuracy == 0 else f"at {top.num_params:,.0f} parameters"
        tops.append((top, f"{mnist.seed_mean_text(top, 'robust_accuracy')} for {name} {where}"))
    most = max(top.robust_accuracy for top, _ in tops)
    said = " and ".join(text for _, text in tops)
    if most < NOT_ROBUST:
        return f"Natural training buys no robustness at {radius} at any size: at most {said}"
    return f"Natural training leaves up to {said} robust accuracy at {radius}, where Madry et al. report ~0% at ε = 0.3: a reason to doubt the attack"


def _capacity_trend(pgd: pd.DataFrame) -> str:
    if pgd.empty:
        return "No PGD-trained model is in these records"
    first, last = pgd.iloc[0], pgd.iloc[-1]
    best = pgd.loc[pgd["robust_accuracy"].idxmax()]

    def text(row, column="robust_accuracy"):
        return mnist.seed_mean_text(row, column)  # the seed mean with the seeds' range

    at_best = f"{text(best)} (clean {text(best, 'clean_accuracy')}) at {best.num_params:,.0f} parameters"
    if best.robust_accuracy < first.robust_accuracy + NEGLIGIBLE:
        return f"Robust accuracy does not grow with capacity: {text(first)} at the smallest scale, {text(last)} at the largest"
    if best.num_params == last.num_params:
        return (
            f"Robust accuracy grows with capacity, from {text(first)} at the smallest scale to {at_best}, the largest"
        )
    return f"Robust accuracy grows with capacity from {text(first)} at the smallest scale to {at_best}, then stops growing ({text(last)} at the largest, {last.num_params:,.0f} parameters)"


def _lipschitz_change(madry: pd.DataFrame) -> str:
    by_mode = madry.groupby("mode")["local_lipschitz_max"].mean()
    if not {"natural", "pgd"} <= set(by_mode.index):
        return "With one training mode only, these records cannot compare the local gradient norms of natural and PGD training"
    ratio = by_mode["natural"] / by_mode["pgd"]
    if ratio > SAME_RATIO:
        return f"PGD training lowers the largest local gradient norm of Madry's networks by a factor of {ratio:.1f} on average against natural training"
    if ratio < 1 / SAME_RATIO:
        return f"PGD training raises the largest local gradient norm of Madry's networks by a factor of {1 / ratio:.1f} on average against natural training"
    return f"PGD training leaves the largest local gradient norm of Madry's networks about where natural training does (a ratio of {ratio:.2f})"


def _attack_tightness(records: list[dict]) -> str:
    checks = [r.crosscheck for r in mnist.typed_records(records) if r.crosscheck is not None]
    if not checks:
        return "how tight they are is not checked in these records"
    gap = max(c.gobig_pgd - c.torchattacks_apgd_ce for c in checks)
    if gap > NEGLIGIBLE:
        # The chapter quotes the gap itself just before this sentence.
        return "and on the checked model not tight ones"
    return "and on the checked model tight ones: APGD finds at most one point more"


def _recipe(runs: pd.DataFrame, claims: pd.DataFrame, collapse) -> str:
    """The smallest scale under both recipes: the jump of Madry et al.'s figure against the training recipe."""
    row = claims.set_index("claim").loc[mnist.RECIPE_CLAIM]
    found = mnist.recipe_comparison(runs, collapse)
    if row["verdict"] == "pending" or found is None:
        return "Without PGD-trained networks well below 2e5 parameters, these records cannot say whether the jump in Madry et al.'s figure is one of capacity"
    low, high = found["worst_interval"]
    pgd = f"{found['pgd']:.1%} under PGD-40 and " if found["pgd"] is not None else ""
    ours = (
        f"At scale {found['size']} ({found['num_params']:,} parameters), this chapter's recipe ({found['steps']:,} steps, "
        f"{found['seeds']} seeds) reaches {pgd}{found['worst']:.1%} in the worst case (95% interval {100 * low:.1f}-{100 * high:.1f})"
    )
    madry = found["madry"]
    theirs = (
        f", and Madry et al.'s recipe ({madry['steps']:,} steps, {madry['seeds']} seeds) {madry['pgd']:.1%} under PGD-40 "
        f"({100 * madry['interval'][0]:.1f}-{100 * madry['interval'][1]:.1f})"
        if madry
        else ""
    )
    return f"{ours}{theirs}: that the jump is a capacity threshold is {row['verdict']} here, because {row['why']}"


def _madry_comparison(runs: pd.DataFrame) -> str:
    """Scale 16's worst case beside Madry et al.'s network under strong attacks, and the share of their training."""
    found = mnist.madry_comparison(runs)
    if found is None:
        return "Scale 16 is not in these records, so its worst case is not set beside Madry et al.'s network"
    low, high = found["interval"]
    inside = [
        name
        for name, flag in (
            (f"{mnist.MADRY_AUTOATTACK:.2%} under AutoAttack", found["autoattack_inside"]),
            (f"{mnist.MADRY_PGD100X20:.1%} under PGD-100 with 20 restarts", found["pgd100x20_inside"]),
        )
        if flag
    ]
    verdict = (
        f"the interval holds Madry et al.'s own network's {' and '.join(inside)}: under strong attacks this model cannot be told apart from theirs"
        if len(inside) == 2
        else (
            f"the interval holds only their {inside[0]}"
            if inside
            else "the interval holds neither of Madry et al.'s strong-attack numbers"
        )
    )
    return (
        f"Scale 16's worst case over every attack is {found['worst']:.1%} (95% interval {100 * low:.1f}-{100 * high:.1f}, images and seeds "
        f"resampled, {found['seeds']} seeds on {found['images']:,} images): {verdict}, after {found['step_share']:.1%} of their training steps "
        f"({found['image_share']:.1%} of their training images"
        + (f", {found['pass_share']:.1%} of their forward-backward passes)" if found["pass_share"] is not None else ")")
    )


def _law(runs: pd.DataFrame) -> str:
    """How many adversarially trained models have an upper bound below the law, by family, and what they fit."""
    found = mnist.law_comparison(runs)
    below = found["below"]
    counts = " and ".join(
        f"{count} of the {total} {'PGD-trained Madry networks' if family == 'madry' else family.upper() + 's'}"
        for family, (total, count) in found["by_family"].items()
    )
    if below.empty:
        return f"No adversarially trained model has a certified upper bound below the law's sqrt(n d / p) {found['units']} ({counts}, every seed)"
    fitting = below[below["clean_accuracy"] >= mnist.FIT_ACCURACY]
    fit = (
        f"none of them fits the data as the law's premise asks: their clean accuracy is {mnist.clean_range(below['clean_accuracy'])}"
        if fitting.empty
        else f"{len(fitting)} of them reach {mnist.FIT_ACCURACY:.0%} clean accuracy, near a fit of the data"
    )
    return (
        f"{counts} (every seed) have a certified upper bound below the law's sqrt(n d / p) {found['units']}, and {fit}"
    )


#: Over the last epoch, a median rise of the monitor's accuracy of at least this (2 points: four of its 200
#: images) counts as still rising, and a median fall of the training loss of at least this share as still falling.
STILL_RISING, STILL_FALLING = 0.02, 0.10


def _monitor(records) -> str:
    """What the last epoch of adversarial training did, per family: the
    training attack's accuracy on the monitor images (PGD-20 on 200 test
    images) and the adversarial training loss. Either still moving when
    training stopped is a sign of under-training."""
    by_family: dict[str, list[tuple[float, float]]] = {}
    monitor_images = 0
    for record in records:
        history = [epoch for epoch in record.history if epoch.monitor_pgd_accuracy is not None]
        if record.mode == "pgd" and len(history) >= 2:
            last, before = history[-1], history[-2]
            by_family.setdefault(record.family, []).append(
                (last.monitor_pgd_accuracy - before.monitor_pgd_accuracy, 1 - last.train_loss / before.train_loss)
            )
            monitor_images = record.training.monitor_images or monitor_images
    if not by_family:
        return "These records keep no per-epoch PGD accuracy of the training, so whether it still rose at the end is not known"
    parts, unconverged = [], []
    for family, changes in sorted(by_family.items()):
        name = "PGD-trained Madry networks" if family == "madry" else f"PGD-trained {family.upper()}s"
        rise = float(np.median([c for c, _ in changes]))
        fall = float(np.median([f for _, f in changes]))
        rose = sum(c > 0 for c, _ in changes)
        parts.append(
            f"by a median of {100 * rise:+.1f} points for the {len(changes)} {name} ({rose} rose), "
            f"whose training loss fell by a median of {fall:.0%}"
        )
        if rise >= STILL_RISING or fall >= STILL_FALLING:
            unconverged.append(name)
    one_image = f"; one monitor image is {100 / monitor_images:.1f} points" if monitor_images else ""
    ending = (
        f"training had not converged when it stopped for the {' and the '.join(unconverged)}, a sign of under-training"
        if unconverged
        else "both had levelled off"
    )
    return (
        f"Over the last epoch of adversarial training, the PGD-20 accuracy on the monitor's {monitor_images or 'few'} test images changed "
        f"{'; and '.join(parts)}{one_image}: {ending}"
    )


def _sweep(sweep: pd.DataFrame) -> str:
    """Each swept checkpoint's worst case at every radius."""
    if sweep.empty:
        return "No radius sweep of these records' checkpoints is committed yet"
    parts = []
    for (size, seed, images), group in sweep.groupby(["size", "seed", "images"]):
        group = group.sort_values("eps")
        values = ", ".join(f"{row.accuracy:.1%} at {row.eps:g}" for row in group.itertuples())
        parts.append(f"scale {size} (seed {seed}, first {images:,} test images): {values}")
    return "; ".join(parts)


def _strong_square(found: pd.DataFrame) -> str:
    """What Square with four times the standard budget changed on each checkpoint it attacked."""
    from gobig.methods.robustness.attacks import STRONGER_COMPONENTS

    if found.empty:
        return "Square with four times the standard budget has not run on these records' checkpoints yet"
    settings = STRONGER_COMPONENTS["square-strong"]
    parts = []
    for row in found.sort_values("size").itertuples():
        where = (
            f"the first {row.attacked_images:,} of its {row.images:,} images"
            if row.attacked_images < row.images
            else f"its {row.images:,} images"
        )
        parts.append(
            f"on scale {row.size} (seed {row.seed}, {where}) it broke {row.removed} of the examples every earlier attack "
            f"had left robust (worst case {row.before / row.images:.1%} to {row.after / row.images:.1%})"
        )
    return (
        f"Square with {settings['n_queries']:,} queries and {settings['n_restarts']} restarts (four times the standard budget): "
        + "; ".join(parts)
    )


def _recipe_summary(runs: pd.DataFrame, claims: pd.DataFrame, collapse) -> str:
    """The recipe finding in one sentence, for the chapter's summary."""
    row = claims.set_index("claim").loc[mnist.RECIPE_CLAIM]
    found = mnist.recipe_comparison(runs, collapse)
    if row["verdict"] == "pending" or found is None:
        return "Whether the jump in Madry et al.'s figure is one of capacity is not tested by these records"
    ours = (
        f"{found['pgd']:.1%} under PGD-40 ({found['worst']:.1%} worst case)"
        if found["pgd"] is not None
        else f"{found['worst']:.1%}"
    )
    theirs = f", where Madry et al.'s recipe leaves it at {found['madry']['pgd']:.1%}" if found["madry"] else ""
    if row["verdict"] == "not supported":
        ending = (
            "the jump from about 10% to about 90% that Bubeck & Sellke read off Madry et al.'s figure is, here, "
            + (
                "an effect of the training recipe, not a capacity threshold"
                if found["madry"]
                else "not a capacity threshold"
            )
        )
    elif row["verdict"] == "supported":
        ending = "even so, the small networks stay below halfway up the jump, as a capacity threshold would have it"
    else:
        ending = "whether the jump is one of capacity stays open"
    return f"With this chapter's recipe the smallest network ({found['num_params']:,} parameters) reaches {ours}{theirs}: {ending}"


def _pilot(records) -> str:
    """Whether the model that chose the training recipe is among the reported ones (it is not set apart)."""
    pilot = next((r for r in records if r.key == mnist.PILOT_KEY), None)
    if pilot is None:
        return f"The pilot that chose the recipe (record {mnist.PILOT_KEY}) is not among these records"
    images = pilot.robust_eval_images or 10_000
    return (
        f"The recipe was chosen on the same first {images:,} test images this page reports, and the pilot is not set apart: "
        f"it is the table's scale {pilot.size}, seed {pilot.seed} (record {pilot.key}), so that model's robust accuracy is not "
        "independent of the choice"
    )


def _series(values: list) -> str:
    """1, 2, 4 and 16."""
    shown = [f"{v:,}" if isinstance(v, int) else str(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def matching_profile(params: dict) -> str | None:
    """The profile whose sweep (the configs it expands to) these parameters
    give, if any: a rerun with a profile's values is that profile's run."""
    from gobig.core import params as params_module

    wanted = mnist.expand_configs(params)
    for path in sorted(params_module.PROFILES_DIR.glob(f"{mnist.STUDY}_*.yaml")):
        name = path.stem.removeprefix(f"{mnist.STUDY}_")
        if mnist.expand_configs(mnist.validate_parameters(mnist.load_profile(name))) == wanted:
            return name
    return None


def design_reading(params: dict) -> str:
    """What this run trained, read from its parameters (so a rerun's page
    says what the rerun did): the profile it matches, the training images,
    the models, the training modes and the seeds."""
    profile = matching_profile(params)
    source = (
        f"These results are the {profile} profile's (lib/gobig/profiles/{mnist.STUDY}_{profile}.yaml)"
        if profile
        else "These results come from parameters of this run's own, which match no profile"
    )
    subset = params["TRAIN_SUBSET"]
    images = "all 60,000 training images" if subset is None else f"the first {subset:,} training images"
    scales = params["CAPACITY_SCALES"]
    models = f"Madry et al.'s capacity scale{'s' if len(scales) > 1 else ''} {_series(scales)}"
    if 16 in scales:
        from gobig.methods.robustness.models import build_model, num_params

        size = num_params(build_model("madry", 16)) / 1e6
        models += f" (scale 16 is their own {size:.2f}M-parameter network)"
    if params["MLP_WIDTHS"]:
        models += f" and MLPs of width {_series(params['MLP_WIDTHS'])}"
    modes = {"natural": "naturally", "pgd": "adversarially (PGD)", "fgsm": "adversarially (FGSM)"}
    trained = _series([modes.get(m, m) for m in params["TRAINING_MODES"]])
    seeds = len(params["SEEDS"])
    sentence = f"{source}: trained on {images}, {models}, {trained}, {seeds} seed{'s' if seeds > 1 else ''} each"
    fewer = params.get("LARGEST_SCALE_ADVERSARIAL_SEEDS")
    if fewer is not None and fewer < seeds and set(params["TRAINING_MODES"]) & set(mnist.ADVERSARIAL):
        sentence += f" ({fewer} for the adversarially trained scale {max(scales)}, the costliest model)"
    return sentence
