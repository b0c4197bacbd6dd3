package estimates_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/nistgmm/nistgmm/federated/estimates"
	"github.com/nistgmm/nistgmm/federated/mixture"
	"gonum.org/v1/gonum/mat"
)

// A machine writes its estimate in the exchange format, and the server
// reads it back as a stream. A malformed entry (here one without a sample
// size) comes back marked, without failing the document.
func ExampleDecodeEstimates() {
	mix := &mixture.Mixture{
		Weights: []float64{0.4, 0.6},
		Means:   [][]float64{{0}, {5}},
		Covs:    []*mat.SymDense{mat.NewSymDense(1, []float64{1}), mat.NewSymDense(1, []float64{2})},
	}
	var doc bytes.Buffer
	if err := estimates.EncodeEstimates(&doc, []estimates.Estimate{{ID: "m00", N: 500, Mixture: mix}}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(doc.String())
	broken := strings.Replace(doc.String(), `"n":500,`, "", 1)
	for _, text := range []string{doc.String(), broken} {
		ests, err := estimates.DecodeEstimates(strings.NewReader(text))
		if err != nil {
			fmt.Println(err)
			return
		}
		e := ests[0]
		if e.Malformed != "" {
			fmt.Printf("%s: malformed: %s\n", estimates.QuoteID(e.ID), e.Malformed)
			continue
		}
		fmt.Printf("%s: n = %d, weights %v, second variance %v\n", estimates.QuoteID(e.ID), e.N, e.Mixture.Weights, e.Mixture.Covs[1].At(0, 0))
	}
	// Output:
	// {"format":"nistgmm/estimates/v1","machines":[{"id":"m00","n":500,"weights":[0.4,0.6],"means":[[0],[5]],"covariances":[[[1]],[[2]]]}]}
	// "m00": n = 500, weights [0.4 0.6], second variance 2
	// "m00": malformed: n (the sample size) is missing or not a number
}
