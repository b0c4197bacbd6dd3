module github.com/nistgmm/nistgmm

go 1.26.8

require (
	gonum.org/v1/gonum v0.17.0
	gonum.org/v1/netlib v0.0.0-20190313105609-8cb42192e0e0
)

require (
	golang.org/x/exp v0.0.0-20261113113407-e3970619a1a4 // indirect
	golang.org/x/tools v0.52.1-0.20261106145633-d407941a339a // indirect
)
