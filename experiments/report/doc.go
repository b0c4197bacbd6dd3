// Package report writes what the experiments leave behind: the output
// folder of a reproduction, an attack run, a simulation study or a scale
// run (tables, CSV files, plots and the command.txt that made them), the
// default name of that folder (runs/<name>-<hash of what it computes>, so
// that the same command resumes its own checkpoint), a scale run's
// estimates files, and the JSON document of one run.
//
// It writes only: the experiments are run by package experiments and
// drawn by package plots. It knows nothing of command-line flags; the
// caller passes the command line for command.txt and the writers for the
// printed table (stdout) and the notes (stderr).
package report
