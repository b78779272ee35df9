"""Stage `math_precision`: quality -> math_precision, the stricter classifier (InfiMM-WebMath's second pass)."""
from jobs.classify import make_stage

STAGE = make_stage("math_precision")
