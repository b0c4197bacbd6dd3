// Package experiments runs the paper's experiments over many repetitions:
// Table 2 on NIST features (Section 6) and the simulation study on random
// mixtures with a prescribed overlap (Section 5). It holds their
// configurations, one repetition of each, and what they share: checkpoints,
// shards, merging and summaries. Package plots (experiments/plots) draws
// their figures.
//
// Each finished repetition is appended to reps.jsonl in the output folder,
// next to config.json (the setup); a run that finds that file resumes after
// the repetitions it holds, and since every repetition draws from its own
// random streams, the resumed run gives the same numbers as an
// uninterrupted one, whatever the parallelism. For the same reason the
// repetitions can be split into shards (Shard) run on different machines
// and merged with identical results.
//
// Table 2 writes table2.md (median (IQR) ARI per method and alpha, ARED's
// detection rates, how often COAT was Byzantine, the separability AUC),
// and table2.csv (one row per repetition, alpha and method); its box plot is
// drawn by package plots.
//
// The simulation study runs a grid of cells (SimConfig; NewSimConfig gives
// the grids of the paper's Figures 2 to 5): per repetition a true mixture
// per overlap from package mixsim, each cell's machines sampled from it and
// fitted once, corrupted by every failure kind at every rate, aggregated by
// every method and scored by W1 to the truth and by ARI. It writes
// summary.csv (quartiles per cell and method), reps.csv and summary.md; its
// box plots, laid out like the paper's figures, are drawn by package plots.
package experiments
