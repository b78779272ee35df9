"""webmath's benchmarks, beside the product: `webmath bench` (stages.py: one stage against the same function in a
plain loop, and the floor) and `webmath bench compare` (compare.py, `make bench`: the whole pipeline against
datatrove's, per stage, at 1x, 2x and 4x input; figures.py: its figures and tables).

They run from a checkout: webmath.zip (`make package`) and the docker image ship `jobs` and `udfs` only, and
what only the benchmarks need is the `bench` extra of pyproject.toml.
"""
