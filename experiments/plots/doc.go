// Package plots draws the experiments' results as PNG figures: Table 2's
// box plots with a zoom on the best methods (PlotTable2), the simulation
// study's panels laid out like the paper's Figures 2 to 5 and 7 to 10,
// whole or zoomed (PlotSimulation, PlotSimulationZoom), and the time and
// memory of a scale run against the number of machines (PlotScale). Each
// method keeps one colour in every figure, chosen to stay apart under the
// common colour-vision deficiencies; the box plots also give each method
// its own marker, for print.
//
// It only draws: it runs no experiment and writes no table, CSV or
// checkpoint. It reads the repetitions and rows of package experiments
// (Table2Rep, SimRep, ScaleRow) and takes the quartiles and the methods'
// names from there (Quartiles, DisplayName), so that the figures agree
// with the tables. Package experiments does not import it; the commands
// call both.
package plots
