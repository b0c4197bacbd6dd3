# The two commands of the README:
#   make demo   set up, build, and run the experiment on the built-in MNIST digits
#   make test   set up, then run every test
.PHONY: setup build demo test bench bench-numpy check-overlap vowels fuzz slurm-check proto federation-demo federation-load

setup:
	./scripts/setup.sh

build: setup
	go build -buildvcs=auto -o bin/nistgmm ./cmd/nistgmm

demo: build
	./bin/nistgmm run --alpha 0.2

test: setup
	go vet ./...
	go test ./...
	cd examples/library && CGO_ENABLED=0 go vet . && CGO_ENABLED=0 go test .

bench: setup
	go test -run '^$$' -bench . -benchtime 3x ./federated/... ./features ./mixsim ./experiments/...

# Features of the MNIST digits plus the genuine SD19 vowels as letters.
vowels: build
	./bin/nistgmm extract --letters ../shared/data/sd19-vowels --letter-classes 41,45,49,4f,55,61,65,69,6f,75 --out data/vowels

# The fuzz tests, a minute each.
fuzz:
	go test -run '^$$' -fuzz FuzzAggregateDocument -fuzztime 60s ./federated/server
	go test -run '^$$' -fuzz FuzzDecodeEstimates -fuzztime 60s ./federated/estimates
	go test -run '^$$' -fuzz FuzzUnmarshalEstimate -fuzztime 60s ./federation
	go test -run '^$$' -fuzz FuzzParseNPY -fuzztime 60s ./features

# One EM iteration in Go (OpenBLAS and pure Go) and in numpy on the same
# OpenBLAS, for the ratio from one command (needs Debian's python3-numpy).
bench-numpy: setup
	@/usr/bin/python3 -c 'import numpy' 2>/dev/null || { echo "bench-numpy needs Debian's numpy: apt-get install python3-numpy" >&2; exit 1; }
	go test -run '^$$' -bench 'EMIterationBackends' -benchtime 20x ./federated/mixture
	/usr/bin/python3 scripts/bench_em_numpy.py 20

# Checks `nistgmm overlap` against an independent computation (numpy's
# symmetric square root, Imhof's formula by scipy's QUADPACK) on random
# mixtures of dimension 2, 3 and 10.
check-overlap: build
	@/usr/bin/python3 -c 'import scipy' 2>/dev/null || { echo "check-overlap needs Debian's scipy: apt-get install python3-scipy" >&2; exit 1; }
	@set -e; for spec in "2 4 0.2" "3 3 0.1" "10 5 0.3"; do set -- $$spec; \
		./bin/nistgmm simulate mixture --d $$1 --k $$2 --max-omega $$3 --seed 11 --out /tmp/nistgmm-mixture-$$1.json; \
		/usr/bin/python3 scripts/check_overlap.py /tmp/nistgmm-mixture-$$1.json --nistgmm ./bin/nistgmm; done

# The Slurm job files run for real: slurm-wlm and munge on this machine,
# one node on localhost, reproduce.sbatch and simulate.sbatch as two-task
# arrays plus merge.sbatch, each merged table compared byte for byte with an
# unsharded run. Needs root; a few minutes.
slurm-check: setup
	./scripts/slurm_check.sh

# The federation's protobuf schema, compiled (protoc from Debian's
# protobuf-compiler; protoc-gen-go and protoc-gen-go-grpc by go install).
proto:
	@command -v protoc >/dev/null || { echo "proto needs protoc: apt-get install protobuf-compiler" >&2; exit 1; }
	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11
	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
	PATH="$$(go env GOPATH)/bin:$$PATH" protoc --proto_path=federation/proto/v1 \
		--go_out=federation/proto/v1 --go_opt=paths=source_relative \
		--go-grpc_out=federation/proto/v1 --go-grpc_opt=paths=source_relative \
		federation/proto/v1/estimate.proto federation/proto/v1/round.proto federation/proto/v1/submission.proto \
		federation/proto/v1/operator.proto federation/proto/v1/result.proto federation/proto/v1/federation.proto

# A federation on loopback: CA, coordinator, 20 sites (4 Byzantine), two
# rounds, each ending with "ARED <ARI> Oracle <ARI>" (see docs/federation.md).
federation-demo: build
	./scripts/federation-demo.sh

# The federation's load numbers of docs/federation.md: one round of 1,000
# sites (K = 5, d = 10) and one of 200 sites (K = 10, d = 50) on loopback,
# each site with its own certificate, against the coordinator as a process.
federation-load: setup
	go test -run '^$$' -bench FederationLoad -benchtime 1x ./federation/coordinator
