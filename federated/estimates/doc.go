// Package estimates is the exchange format between machines and the
// server, version nistgmm/estimates/v1:
//
//	{"format":"nistgmm/estimates/v1","machines":[{"id":"m00","n":500,
//	  "weights":[...K],"means":[[...d],...K],"covariances":[[[...d],...d],...K]}]}
//
// An Estimate is one machine's entry decoded: its id, sample size and
// mixture, or why the entry is malformed. EncodeEstimates writes a document
// one machine at a time; DecodeEstimates reads one as a stream, in three
// layers: a JSON tokenizer (scan.go, scan_tokens.go) that keeps the
// non-standard NaN and Infinity tokens Python writes, the entries
// (entries.go), parsed one goroutine per core, and their validation
// (validation.go), which judges each entry on its own so that one
// malformed machine never fails the document. Received applies the
// document's rules on ids to estimates that arrive decoded. QuoteID makes
// the ids, which come from the machines, safe to print.
//
// Its messages say what is wrong with an entry in the format's terms only:
// whether a well-formed mixture is acceptable (its order, dimension,
// conditioning, sample size) is the server's decision, not the format's.
package estimates
