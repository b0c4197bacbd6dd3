package site

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Share keeps share i of m (spec "i/m") of X's rows after a shuffle
// seeded by seed: with the same seed, the m sites given shares 0 to m-1
// of the same observations hold each row once (demonstrations: one folder
// split across m sites).
func Share(X *mat.Dense, spec string, seed uint64) (*mat.Dense, error) {
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	m, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || m < 1 || i < 0 || i >= m {
		return nil, fmt.Errorf("%q: want I/M with 0 <= I < M", spec)
	}
	n, d := X.Dims()
	perm := rand.New(rand.NewPCG(seed, 0x5ea)).Perm(n)
	var rows []int
	for j := i; j < n; j += m {
		rows = append(rows, perm[j])
	}
	out := mat.NewDense(len(rows), d, nil)
	for r, src := range rows {
		out.SetRow(r, X.RawRowView(src))
	}
	return out, nil
}
