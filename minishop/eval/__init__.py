"""Evaluation of next-item recommenders: metrics, the full and sampled protocols, and baselines.

    from minishop.eval import evaluate_all, format_table, PopularRecommender
    popular = PopularRecommender().fit(split.train, split.n_items)
    print(format_table({"popular": evaluate_all(popular, split)}))
"""

from minishop.eval.baselines import ItemKNNRecommender, MarkovRecommender, PopularRecommender
from minishop.eval.metrics import coverage, hit_rate, mrr, ndcg, popularity_bias, ranks_from_scores
from minishop.eval.protocols import evaluate, evaluate_all
from minishop.eval.report import format_table
