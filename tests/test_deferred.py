"""scipy.stats is imported when first used, not when scikit-learn loads (zotrec.deferred)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_recommender_and_topic_model_load_without_scipy_stats():
    out = _run(
        """
        import sys
        import zotrec.recommend.model, zotrec.topics.model
        print("scipy.stats._stats_py" in sys.modules, "scipy.stats._distn_infrastructure" in sys.modules)
        """
    )
    assert out == "False False"


def test_scipy_stats_works_as_usual_once_used():
    """The names scikit-learn took at import call the real functions; any other use loads the module."""
    out = _run(
        """
        import sys
        import numpy as np
        import zotrec.recommend.model
        import sklearn.metrics._ranking as ranking
        import sklearn._loss.link as link
        ranks = ranking.rankdata([30, 10, 20, 10])
        mean = link.gmean([1.0, 4.0])
        import scipy.stats
        from scipy.stats import norm
        assert sys.modules["scipy.stats"] is scipy.stats and "scipy.stats._stats_py" in sys.modules
        assert list(ranks) == list(scipy.stats.rankdata([30, 10, 20, 10])) == [4.0, 1.5, 3.0, 1.5]
        assert mean == scipy.stats.gmean([1.0, 4.0]) == 2.0
        print(norm.cdf(0.0), scipy.stats.ttest_ind([1, 2, 3], [1, 2, 3]).pvalue)
        """
    )
    assert out == "0.5 1.0"


def test_nothing_changes_when_scipy_stats_came_first():
    out = _run(
        """
        import sys
        import scipy.stats
        real = sys.modules["scipy.stats"]
        import zotrec.recommend.model
        import sklearn.metrics._ranking as ranking
        print(sys.modules["scipy.stats"] is real, ranking.rankdata is real.rankdata)
        """
    )
    assert out == "True True"
