"""Generated performance-exercising tests (issue #25): inputs made from a problem's own tests
(model-free mutation and scaling) or by a model-written generator program, kept only when the
problem's CodeNet-Accepted programs all agree on them, and sized to spread those programs' native
cost over orders of magnitude.

`candidates` is the contract between the parts: every source yields `Candidate`s; validation
turns them into `generated_tests` rows (`GENERATED_TEST_SCHEMA`) and records every candidate
tried in `generated_test_trials` (`TRIAL_SCHEMA`) with its `TrialOutcome`.
"""
