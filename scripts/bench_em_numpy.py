#!/usr/bin/python3
"""Baseline for BenchmarkEMIteration: one E step plus one M step of the
penalized EM at n = 5,000, d = 50, K = 10, written with numpy on the same
BLAS, single-threaded. Run it through `make bench-numpy`, which also runs the
Go benchmark, so that the two times come from one command.
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def same_kernels_as_go():
    """Run on the OpenBLAS kernels the Go side runs on: like
    internal/fastblas, restart with OPENBLAS_CORETYPE=Haswell when OpenBLAS
    reports the generic Prescott kernels on a CPU with AVX2 and FMA (a CPU
    model it does not know). Returns the kernel set's name."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return "unknown"
    lib.openblas_get_corename.restype = ctypes.c_char_p
    name = lib.openblas_get_corename().decode()
    if os.environ.get("OPENBLAS_CORETYPE"):
        return name
    with open("/proc/cpuinfo") as f:
        flags = set(f.read().split())
    if name == "Prescott" and {"avx2", "fma"} <= flags:
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    return name


KERNELS = same_kernels_as_go()
import numpy as np  # noqa: E402


def random_mixture(rng, k, d):
    means = rng.normal(size=(k, d))
    covs = []
    for _ in range(k):
        a = rng.normal(size=(d, d))
        covs.append(a @ a.T / d + 0.5 * np.eye(d))
    return np.full(k, 1.0 / k), means, np.array(covs)


def sample(rng, w, means, covs, n):
    z = rng.choice(len(w), size=n, p=w)
    x = np.empty((n, means.shape[1]))
    for k in range(len(w)):
        idx = np.where(z == k)[0]
        x[idx] = rng.multivariate_normal(means[k], covs[k], size=len(idx))
    return x


def em_iteration(x, w, means, covs, an, sx):
    n, d = x.shape
    k = len(w)
    logj = np.empty((n, k))
    for j in range(k):
        chol = np.linalg.cholesky(covs[j])
        z = np.linalg.solve(chol, (x - means[j]).T)  # triangular by LAPACK's general solver
        logj[:, j] = (np.log(w[j]) - 0.5 * (d * np.log(2 * np.pi) + 2 * np.log(np.diag(chol)).sum())
                      - 0.5 * (z * z).sum(axis=0))
    m = logj.max(axis=1, keepdims=True)
    r = np.exp(logj - m)
    r /= r.sum(axis=1, keepdims=True)
    nk = r.sum(axis=0)
    new_means = (r.T @ x) / nk[:, None]
    new_covs = np.empty_like(covs)
    for j in range(k):
        c = (x - new_means[j]) * np.sqrt(r[:, j])[:, None]
        new_covs[j] = (2 * an * sx + c.T @ c) / (2 * an + nk[j])
    return nk / n, new_means, new_covs


def main():
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rng = np.random.default_rng(7)
    w, means, covs = random_mixture(rng, 10, 50)
    x = sample(rng, w, means, covs, 5000)
    sx = np.cov(x.T, bias=True)
    an = 1 / np.sqrt(len(x))
    em_iteration(x, w, means, covs, an, sx)  # warm-up
    start = time.perf_counter()
    for _ in range(iters):
        w2, m2, c2 = em_iteration(x, w, means, covs, an, sx)
    per = (time.perf_counter() - start) / iters
    print(f"numpy EM iteration (n=5000, d=50, K=10, one thread, OpenBLAS {KERNELS} kernels): {per * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
