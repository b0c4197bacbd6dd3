// Package table2 runs the paper's Table 2 experiment over many repetitions
// with checkpoints, and writes its summary: table2.md (median (IQR) ARI per
// method and alpha, ARED's detection rates, how often COAT was Byzantine,
// the separability AUC), table2.csv (one row per repetition, alpha and
// method) and a box plot.
//
// Each finished repetition is appended to reps.jsonl in the output folder; a
// run that finds that file resumes after the repetitions it holds, and since
// every repetition draws from its own random streams, the resumed run gives
// the same numbers as an uninterrupted one, whatever the parallelism. For
// the same reason the repetitions can be split into shards (Shard) run on
// different machines and put back together (Merge) with identical results.
package table2
