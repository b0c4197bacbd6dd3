// Package eval scores aggregated mixtures: the adjusted Rand index of the
// clustering a mixture induces (Appendix C.1), the transportation distance
// W1 between mixing distributions, Byzantine-detection precision and recall,
// the separability AUC of a score such as the distance to COAT, and the
// Table 2 experiment that combines them with package federated.
// It does no file I/O.
package eval
