package chol4_test

import (
	"fmt"

	"github.com/nistgmm/nistgmm/internal/chol4"
)

// Four 2 x 2 systems S x: each is the lower triangle of S row by row, then
// x. The third is not positive definite.
func Example() {
	systems := [chol4.Lanes][]float64{
		{4, 2, 5, 2, 1},  // S = [[4, 2], [2, 5]], x = (2, 1)
		{1, 0, 1, 3, 4},  // S = I, x = (3, 4)
		{1, 2, 1, 0, 0},  // S = [[1, 2], [2, 1]]: eigenvalues 3 and -1
		{9, 0, 16, 3, 4}, // S = diag(9, 16), x = (3, 4)
	}
	batch := make([]float64, chol4.Lanes*chol4.Len(2))
	chol4.Interleave(batch, systems)
	ok, err := chol4.Factor(batch, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	logDet, quad := chol4.LogDetQuad(batch, 2)
	for k := range ok {
		if !ok[k] {
			fmt.Printf("system %d: not positive definite\n", k)
			continue
		}
		fmt.Printf("system %d: log det %.4f, x^T S^-1 x %.4f\n", k, logDet[k], quad[k])
	}
	// Output:
	// system 0: log det 2.7726, x^T S^-1 x 1.0000
	// system 1: log det 0.0000, x^T S^-1 x 25.0000
	// system 2: not positive definite
	// system 3: log det 4.9698, x^T S^-1 x 2.0000
}
