#!/usr/bin/env python3
"""PyTorch peer: one Figure 1-2 trial the way the paper's notebook computes it (MATH.md section 6).

For one network of width N (parameters W, b, c as float64 leaf tensors) and the M = 16 data points:
the Jacobian J (M x P) by autograd (one backward pass per data point, as torch.autograd.grad over the
outputs), f_0, the NTK Gram B = J J^T / M, and then for every gamma:
    lambda_N = gamma * N^(1 - 2 beta)
    a = (B + lambda_N I)^-1 (y - f_0) / M           torch.linalg.solve
    theta_1 = theta_0 + J^T a                        the Gauss-Newton step in kernel form
    L(theta_1) / |y|^2                               a forward pass at theta_1
    NNTK = B (B + lambda_N I)^-1                     and its Frobenius distance to the reference
    max_i |(dw_i, db_i, dc_i)|                       the per-neuron update norm
The reference kernel (given, M x M per gamma) plays the infinite-width NNTK.

Usage:
    python3 bench/peers/torch_one_step.py PROBLEM.json
PROBLEM.json: {"x": [M], "y": [M], "W": [N], "b": [N], "c": [N], "beta": 0.52, "gammas": [...],
               "reference": [[M*M floats] per gamma], "repeats": R}
Prints one JSON line: seconds per trial (best of R), and per gamma the one-step loss, the max update and
the NNTK error, for checking against nntk. CPU, float64. Environment: NNTK_PEER_THREADS.
"""

import sys
import time

from peer_cli import import_torch, run

PEER = "torch-one-step"
torch, SKIPPED = import_torch()


def trial(p):
    t = torch.float64
    x = torch.tensor(p["x"], dtype=t).reshape(-1, 1)
    y = torch.tensor(p["y"], dtype=t)
    W = torch.tensor(p["W"], dtype=t).reshape(-1, 1).requires_grad_(True)
    b = torch.tensor(p["b"], dtype=t).requires_grad_(True)
    c = torch.tensor(p["c"], dtype=t).requires_grad_(True)
    N, M, beta = b.numel(), y.numel(), p["beta"]
    s = N ** (-beta)

    def forward(W_, b_, c_):
        return s * torch.tanh(x @ W_.T + b_) @ c_

    f0 = forward(W, b, c)
    rows = []
    for m in range(M):  # J row by row, one backward pass per point
        gW, gb, gc = torch.autograd.grad(f0[m], (W, b, c), retain_graph=m < M - 1)
        rows.append(torch.cat([gW.reshape(-1), gb, gc]))
    J = torch.stack(rows)  # M x P, parameter blocks [W | b | c]
    f0 = f0.detach()
    B = J @ J.T / M
    out = []
    with torch.no_grad():
        for k, gamma in enumerate(p["gammas"]):
            lam = gamma * N ** (1 - 2 * beta)
            A = B + lam * torch.eye(M, dtype=t)
            a = torch.linalg.solve(A, (y - f0) / M)
            step = J.T @ a
            dW, db, dc = step[:N].reshape(-1, 1), step[N:2 * N], step[2 * N:]
            f1 = forward(W + dW, b + db, c + dc)
            loss = float(((f1 - y) ** 2).sum() / (2 * M) / (y ** 2).sum())
            K = torch.linalg.solve(A, B).T  # B A^-1 (both symmetric)
            ref = torch.tensor(p["reference"][k], dtype=t).reshape(M, M)
            err = float(torch.linalg.norm(K - ref) / torch.linalg.norm(ref))
            upd = float(torch.sqrt(dW.reshape(-1) ** 2 + db ** 2 + dc ** 2).max())
            out.append({"gamma": gamma, "one_step_loss": loss, "max_neuron_update": upd, "nntk_error": err})
    return out


def compute(p, _dir):
    best, result = float("inf"), None
    for _ in range(int(p.get("repeats", 1))):
        t0 = time.perf_counter()
        result = trial(p)
        best = min(best, time.perf_counter() - t0)
    return {"peer": PEER, "seconds": best, "points": result, "torch": torch.__version__, "threads": torch.get_num_threads()}


if __name__ == "__main__":
    sys.exit(run(sys.argv, __file__, PEER, SKIPPED, compute))
