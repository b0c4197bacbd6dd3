package estimates

import (
	"github.com/nistgmm/nistgmm/federated/mixture"
)

// EstimatesFormat identifies version 1 of the estimates exchange format.
const EstimatesFormat = "nistgmm/estimates/v1"

// MachineJSON is one machine's entry in an estimates file.
type MachineJSON struct {
	ID string `json:"id"`
	N  int    `json:"n"`
	mixture.MixtureJSON
}

// EstimatesFile is the document machines send to the server:
//
//	{"format":"nistgmm/estimates/v1","machines":[{"id":"m00","n":500,
//	  "weights":[...K],"means":[[...d],...K],"covariances":[[[...d],...d],...K]}]}
type EstimatesFile struct {
	Format   string        `json:"format"`
	Machines []MachineJSON `json:"machines"`
}
