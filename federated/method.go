package federated

import "fmt"

// Method names an aggregation rule.
type Method string

const (
	GMR    Method = "gmr"    // reduction of all estimates (eq. 2)
	COAT   Method = "coat"   // the centre of attention itself (eq. 3)
	CRED   Method = "cred"   // reduction over COAT's half-ball (eq. 4)
	ARED   Method = "ared"   // reduction over COAT's inflated ball (eq. 5)
	TRIM   Method = "trim"   // trimmed k-barycenter (Algorithm 2)
	Oracle Method = "oracle" // reduction over machines known to be honest
)

// Methods lists every method in the column order of the paper's Table 2.
func Methods() []Method { return []Method{Oracle, ARED, CRED, TRIM, COAT, GMR} }

// ParseMethod accepts the lower-case method names.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown method %q: want gmr, coat, cred, ared, trim or oracle", s)
}
