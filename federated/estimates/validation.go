package estimates

import (
	"fmt"
	"strconv"
)

// missingID is the reason an entry without an id is malformed.
const missingID = "missing or empty machine id"

// problem is what is wrong with the entry, checked in a fixed order
// whatever the order of its fields; "" when nothing is.
func (f *machineFields) problem() string {
	switch {
	case f.idProblem != "":
		return f.idProblem
	case f.id == "":
		return missingID
	case !f.hasN:
		return "n (the sample size) is missing or not a number"
	}
	if _, err := strconv.ParseInt(f.nText, 10, 0); err != nil {
		return fmt.Sprintf("n = %s is not an integer", f.nText)
	}
	switch {
	case !f.hasWeights:
		return "weights is missing or not an array of numbers"
	case f.weightsProblem != "":
		return f.weightsProblem
	case !f.hasMeans:
		return "means is missing or not an array of arrays"
	case f.meansProblem != "":
		return f.meansProblem
	case !f.hasCovs:
		return "covariances is missing or not an array of matrices"
	}
	return f.covsProblem
}

func (f *machineFields) n() int {
	n, err := strconv.ParseInt(f.nText, 10, 0)
	if err != nil {
		return 0
	}
	return int(n)
}
