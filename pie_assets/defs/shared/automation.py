"""How often the sensors that chain one stage to the next look for work.

Under `pie ui` every stage after ingestion starts when a sensor's tick sees its inputs land
(generated tests and runtimes after ingestion, the SQL models after the runtimes, the
generations after `eval_pairs`, the scoring after the generations, `leaderboard` after the
scoring). Dagster's daemon evaluates a sensor at most once per `minimum_interval_seconds` (its
loop turns every 5 s), so the interval is, on average, half a wait between one stage ending and
the next being asked for: at Dagster's default of 30 s the sample's chain of six stages waited
about a minute and a half on ticks alone (`bench/ui_route.py`). A tick that finds nothing new reads
the events since its cursor; it shows as "skipped" in the UI.
"""

# The automation sensors and the checkpoint sensor (discovery, which rescans the CodeNet tree, and
# self-play, which starts no stage of the default graph, keep their minute).
FOLLOW_INTERVAL_S = 10
