// Package adversary plays the Byzantine machines: the failures of
// Sections 5.1 and 6 that corrupt one estimate on its own (Corrupt), and
// adaptive attacks crafted by an attacker who sees every honest estimate
// and the server's rules (Craft, CraftStealth): stealth inflation, ALIE,
// capture of the centre, slot capture, replays and inside perturbations
// tuned by bisection against ARED's balls.
//
// It calls the server as an attacker would, through its exported API only.
// It is for experiments, commands and tests: no package of the product
// outside those imports it, and a test of package federated checks that.
package adversary
