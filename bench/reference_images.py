"""The reference setups of the image benchmarks, timed side by side with Studio's generators.

Re-implemented from their published description (pytorch/examples' DCGAN at 64 px and its
784-400-20 MLP VAE: same layers, losses, optimisers and batch sizes) so both can run in the same
process as Studio's run, on the same machine at the same moment; their data loaders are left out.
``examples_dcgan_process`` runs the DCGAN step in an interpreter of its own instead, for when
the benchmark's process no longer has the example's conditions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def examples_dcgan(nz: int = 100, ngf: int = 64, ndf: int = 64, nc: int = 1) -> tuple[Any, Any]:
    netG = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
    )  # fmt: skip
    netD = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
    )  # fmt: skip
    return netG, netD


def examples_dcgan_times(
    images: torch.Tensor, iterations: int, seed: int, device: str = "cpu"
) -> list[float]:
    """pytorch/examples' DCGAN training step, timed per iteration (its loader left out)."""
    torch.manual_seed(seed)
    netG, netD = (net.to(device) for net in examples_dcgan())
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        batch = images[torch.randint(0, len(images), (64,))]
        # What its ToTensor + Normalize(0.5, 0.5) gives.
        real_cpu = batch.to(device).float() / 127.5 - 1
        netD.zero_grad()
        label = torch.full((64,), 1.0, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        output.mean().item()
        noise = torch.randn(64, 100, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(0.0)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        output.mean().item()
        optimizerD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        output.mean().item()
        optimizerG.step()
        (errD_real + errD_fake).item(), errG.item()
        times.append(time.perf_counter() - started)
    return times


def examples_dcgan_process(
    pixels: Path, iterations: int, seed: int, allocator: bool = False
) -> list[float]:
    """pytorch/examples' step in a fresh interpreter, as its own script runs: glibc's defaults.

    Studio's training job raises glibc's trim and mmap thresholds for its process (see
    ``studio/engine/device/host_memory.py``), so the example is not timed in this process after it.
    With ``allocator`` the example gets the same setting (glibc's environment variables).
    """
    from studio.engine.device import host_memory  # Studio's setting, for the like-for-like run only

    env = dict(os.environ)
    if allocator:
        env["MALLOC_MMAP_THRESHOLD_"] = str(host_memory.MMAP_THRESHOLD)
        env["MALLOC_TRIM_THRESHOLD_"] = str(host_memory.TRIM_THRESHOLD)
    code = (
        "import json, sys, numpy, torch; sys.path.insert(0, sys.argv[1]);"
        "from reference_images import examples_dcgan_times;"
        "images = torch.from_numpy(numpy.load(sys.argv[2]));"
        "print(json.dumps(examples_dcgan_times(images, int(sys.argv[3]), int(sys.argv[4]))))"
    )
    here = str(Path(__file__).resolve().parent)
    args = [sys.executable, "-c", code, here, str(pixels), str(iterations), str(seed)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])[1:]  # the first holds set-up


class ExamplesVAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(logvar) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def examples_vae_epoch(images: torch.Tensor, seed: int) -> float:
    """One epoch of pytorch/examples' VAE loop on in-memory tensors (its DataLoader left out)."""
    torch.manual_seed(seed)
    model = ExamplesVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    started = time.perf_counter()
    for indices in torch.randperm(len(images)).split(128):
        data = images[indices].float() / 255
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        bce = F.binary_cross_entropy(recon, data.view(-1, 784), reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = bce + kld
        loss.backward()
        loss.item()
        optimizer.step()
    return time.perf_counter() - started
