// Package chol4 factors four symmetric positive definite systems at once.
//
// The integrated squared error and the Cauchy-Schwarz divergence between two
// Gaussian mixtures need, for every pair of components, a Cholesky
// factorization of the sum of their covariances and a triangular solve with
// the difference of their means. With Table 2's fifty estimates of order 10
// in dimension 50 that is 127,500 factorizations of 50 x 50 matrices: too
// small for a BLAS to be efficient, and too many to do one at a time.
//
// Four systems are stored side by side, element by element: entry e of lane
// k is a[Lanes*e+k]. Each system is the lower triangle of a d x d matrix S,
// packed row by row, followed by one more row x of d entries, so a system
// has d(d+1)/2 + d entries (Len). Factor turns S into L with S = L L^T and x
// into L^-1 x: the extra row is factored as if it were row d+1 of a bordered
// matrix, which is exactly forward substitution. Every step is then one
// four-wide operation, which amd64 processors with AVX2 and FMA do in one
// instruction; elsewhere the same operations run lane by lane, in the same
// order and with the same fused multiply-adds, so the results are identical
// bit for bit on every machine that has fused multiply-adds (tested). On
// the few that have not (x86 before 2013, or a virtual machine that hides
// them), Go would emulate each one in software, fifteen times slower, so
// there a multiply and an add are used instead and the last bits differ.
//
// The factorization is the column-oriented (Crout) one: column j of L is
// found after columns 0..j-1, every row below the diagonal at once, four rows
// per pass so that row j is read once for four rows.
package chol4
