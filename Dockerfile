# The nistgmm command with its runtime: OpenBLAS, onnxruntime and the CNN.
# Build from the repository root: docker build -t nistgmm .
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libopenblas-dev npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN ./scripts/setup.sh && go build -o /out/nistgmm ./cmd/nistgmm

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libopenblas0 && rm -rf /var/lib/apt/lists/*
WORKDIR /work
COPY --from=build /out/nistgmm /usr/local/bin/nistgmm
COPY --from=build /src/lib/libonnxruntime.so.1 /work/lib/libonnxruntime.so.1
COPY --from=build /src/models /work/models
# The built-in MNIST digits (from the Go module cache of the build stage),
# so that 'nistgmm extract' works in the container without a network.
COPY --from=build /go/pkg/mod/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data /work/mnist
ENV ONNXRUNTIME_LIB=/work/lib/libonnxruntime.so.1 NISTGMM_MNIST=/work/mnist
ENTRYPOINT ["nistgmm"]
