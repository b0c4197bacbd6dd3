module example.com/library

go 1.26.8

require (
	github.com/nistgmm/nistgmm v0.0.0
	gonum.org/v1/gonum v0.17.0
)

require (
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/tools v0.52.1-0.20261106145633-d407941a339a // indirect
)

replace github.com/nistgmm/nistgmm => ../..
