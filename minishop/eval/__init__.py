"""Evaluation of next-item recommenders: metrics, the full and sampled protocols, and baselines.

    from minishop.eval import evaluate_all, format_table, PopularRecommender
    popular = PopularRecommender().fit(split.train, split.n_items)
    print(format_table({"popular": evaluate_all(popular, split)}))

Read in this order: metrics.py (HR, NDCG, MRR from the target's rank; coverage and popularity bias),
protocols.py (full ranking vs the sampled protocol, and how ties are counted), baselines.py (most popular,
Markov, item-kNN), report.py (the side-by-side text table), text_metrics.py (accuracy, macro-F1,
perplexity, and the n-gram LMs the language tasks are compared with).
"""

from minishop.eval.baselines import ItemKNNRecommender, MarkovRecommender, PopularRecommender
from minishop.eval.metrics import coverage, hit_rate, mrr, ndcg, popularity_bias, ranks_from_scores
from minishop.eval.protocols import evaluate, evaluate_all
from minishop.eval.report import format_table
