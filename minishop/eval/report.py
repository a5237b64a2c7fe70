"""A plain-text table comparing recommenders side by side, under both protocols.

    results = {"model": evaluate_all(model, split), "popular": evaluate_all(popular, split)}
    print(format_table(results))

    protocol: full = all items (honest) | sampled = target + 100 negatives (SASRec paper)
    recommender  full NDCG@10  full HR@10  sampled NDCG@10  sampled HR@10
    model               0.0712      0.1243           0.5360         0.7410
    popular             0.0050      0.0102           0.2790         0.4910
"""


def format_table(results, metrics=("NDCG@10", "HR@10"), protocols=("full", "sampled"), model="model"):
    """results: {name: {"full": {...}, "sampled": {...}}} -> an aligned text table, one row per name.

    A protocol missing for some name shows as "-". The first line says what each protocol means. When
    a row is named `model` and others are present, a last line per protocol says whether it beats them all.
    """
    columns = [(protocol, metric) for protocol in protocols for metric in metrics]
    header = ["recommender"] + [f"{protocol} {metric}" for protocol, metric in columns]
    results = {name: scores for name, scores in results.items()  # a results.json also holds notes: skip them
               if isinstance(scores, dict) and any(isinstance(scores.get(protocol), dict) for protocol in protocols)}
    rows = []
    for name, by_protocol in results.items():
        cells = [str(name)]
        for protocol, metric in columns:
            value = by_protocol.get(protocol, {}).get(metric)
            cells.append("-" if value is None else f"{value:.4f}")
        rows.append(cells)

    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = [_legend(results, protocols)]
    for row in [header] + rows:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join([first] + rest))
    if model in results and len(results) > 1:
        lines += [verdict(results, model, metrics[0], protocol) for protocol in protocols if protocol in results[model]]
    return "\n".join(lines)


def verdicts(results, model="model", metric="NDCG@10", protocols=("full", "sampled")):
    """{protocol: verdict line}: for results.json, beside the figures it judges."""
    return {protocol: verdict(results, model, metric, protocol) for protocol in protocols
            if protocol in results[model]}


def verdict(results, model="model", metric="NDCG@10", protocol="full"):
    """One line: does `model` beat every other recommender on `metric` under `protocol`?"""
    score = results[model][protocol][metric]
    others = {name: r[protocol][metric] for name, r in results.items()
              if name != model and isinstance(r.get(protocol), dict)}
    if not others:
        return f"{model}: no baseline measured under {protocol} to compare with"
    best_name = max(others, key=others.get)
    if score > others[best_name]:
        return f"{model} beats every baseline on {protocol} {metric} ({score:.4f} vs {best_name} {others[best_name]:.4f})"
    return (f"{model} does NOT beat the baselines on {protocol} {metric}: {score:.4f} vs "
            f"{best_name} {others[best_name]:.4f}")


def _legend(results, protocols):
    """One line naming each protocol, with the number of negatives and users taken from the results."""
    parts = []
    for protocol in protocols:
        example = next((r[protocol] for r in results.values() if isinstance(r.get(protocol), dict)), {})
        n_users = example.get("n_users", "?")
        if protocol == "full":
            excluded = "history excluded" if example.get("exclude_history", True) else "history kept"
            parts.append(f"full = target vs all items, {excluded} (honest)")
        else:
            parts.append(f"sampled = target vs {example.get('n_negatives', '?')} random unseen items (SASRec paper)")
    return "protocol: " + " | ".join(parts) + f"; {n_users} users, pessimistic ties"
