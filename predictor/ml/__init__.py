"""The model package: features, context, training, artifacts and prediction.

Pure Python (pandas, numpy, scikit-learn). It never imports Django, so it can be tested
on small DataFrames without a database and used by scripts and benchmarks as is.
"""
