"""`webmath math_recall`: the high-recall classifier, early in the pipeline -> `math_recall`."""
from jobs.classify import make_stage

STAGE = make_stage("math_recall")
