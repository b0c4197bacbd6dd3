// Package eval scores mixtures and detections: the adjusted Rand index of
// the clustering a mixture induces (Appendix C.1), the transportation
// distance W1 between mixing distributions, Byzantine-detection precision
// and recall, and the separability AUC of a score such as the distance to
// COAT. It holds metrics only (the experiments that use them are in
// package experiments) and does no file I/O.
package eval
