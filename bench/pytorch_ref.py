#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the same DCGAN-32 networks and the same WGAN-GP and
completion iterations as wgan-inpaint, timed on this CPU. Prints one JSON line.

Uses Debian's python3-torch (`apt-get install python3-torch`); run with /usr/bin/python3.
usage: pytorch_ref.py [--size 32] [--channels 3] [--batch 64] [--width 64] [--nz 100] [--iters 3] [--threads 2]
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument('--size', type=int, default=32)
p.add_argument('--channels', type=int, default=3)
p.add_argument('--batch', type=int, default=64)
p.add_argument('--width', type=int, default=64)
p.add_argument('--nz', type=int, default=100)
p.add_argument('--iters', type=int, default=3)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--completion-batch', type=int, default=64)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

levels = {28: 2, 32: 3, 64: 4}[a.size]
base = 7 if a.size == 28 else 4
ch0 = a.width * 2 ** (levels - 1)


class G(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(a.nz, base * base * ch0, bias=False)
        layers = [nn.BatchNorm2d(ch0, momentum=0.1, eps=1e-5), nn.ReLU(True)]
        c = ch0
        for _ in range(1, levels):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, a.channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(self.fc(z).view(-1, ch0, base, base))


def critic():
    layers, c, res = [], a.channels, a.size
    for l in range(levels):
        f = a.width * 2 ** l
        layers.append(nn.Conv2d(c, f, 4, 2, 1, bias=(l == 0)))
        res //= 2
        if l > 0:
            layers.append(nn.LayerNorm([f, res, res]))
        layers.append(nn.LeakyReLU(0.2))
        c = f
    layers += [nn.Flatten(), nn.Linear(c * res * res, 1)]
    return nn.Sequential(*layers)


g, d = G(), critic()
og = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.5, 0.9))
od = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.5, 0.9))
real = torch.rand(a.batch, a.channels, a.size, a.size) * 2 - 1


def wgan_gp_iteration():
    for _ in range(5):
        z = torch.rand(a.batch, a.nz) * 2 - 1
        with torch.no_grad():
            fake = g(z)
        alpha = torch.rand(a.batch, 1, 1, 1)
        xhat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grad = torch.autograd.grad(d(xhat).sum(), xhat, create_graph=True)[0]
        gp = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        loss = d(fake).mean() - d(real).mean() + 10 * gp
        od.zero_grad()
        loss.backward()
        od.step()
    z = torch.rand(a.batch, a.nz) * 2 - 1
    lg = -d(g(z)).mean()
    og.zero_grad()
    lg.backward()
    og.step()


g.eval(); d.eval()
N = a.completion_batch
y = torch.rand(N, a.channels, a.size, a.size) * 2 - 1
w = torch.rand(N, 1, a.size, a.size)
zc = (torch.rand(N, a.nz) * 2 - 1).requires_grad_(True)
oz = torch.optim.Adam([zc], 0.01)
for q in list(g.parameters()) + list(d.parameters()):
    q.requires_grad_(False)


def completion_iteration():
    out = g(zc)
    loss = (w * (out - y).abs()).sum() + 0.03 * (-d(out)).sum()
    oz.zero_grad()
    loss.backward()
    oz.step()
    with torch.no_grad():
        zc.clamp_(-1, 1)


def timeit(fn, n):
    fn()  # warm-up
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


for q in list(g.parameters()) + list(d.parameters()):
    q.requires_grad_(True)
g.train(); d.train()
train_ms = timeit(wgan_gp_iteration, a.iters)
g.eval(); d.eval()
for q in list(g.parameters()) + list(d.parameters()):
    q.requires_grad_(False)
comp_ms = timeit(completion_iteration, max(5, a.iters))
print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'wganGpIterationMs': train_ms, 'completionIterationMs': comp_ms}))
