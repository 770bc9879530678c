"""Plain PyTorch twins of ``workloads.py``, written as a PyTorch user would.

``nn.Module``s on NCHW (NCL, NCDHW) tensors, a plain loop: ``zero_grad``, forward,
``cross_entropy``, ``backward``, ``step``; ``torch.no_grad`` for inference. They are
not weight-matched to cnnkit (throughput does not depend on the weights); the
forward-equality check of the seed model lives in ``forward.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from workloads import Workload


def _vgg() -> nn.Module:
    blocks: list[nn.Module] = []
    channels = 3
    for filters in (32, 64, 128):
        for _ in range(2):
            blocks += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(),
                       nn.BatchNorm2d(filters)]  # fmt: skip
            channels = filters
        blocks.append(nn.MaxPool2d(2))
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(128 * 16, 10))


def _signal() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(3, 32, 7, padding=3), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(128, 128, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(128, 6),
    )  # fmt: skip


def _volume() -> nn.Module:
    return nn.Sequential(
        nn.Conv3d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(32, 64, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(64, 2),
    )  # fmt: skip


def _autoencoder() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(32, 1, 3, padding=1), nn.Sigmoid(),
    )  # fmt: skip


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(y)))


def _resnet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        *[_Residual(32) for _ in range(3)],
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10),
    )  # fmt: skip


def _mobilenet() -> nn.Module:
    blocks: list[nn.Module] = [
        nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(32), nn.ReLU(),
    ]  # fmt: skip
    channels = 32
    for filters, stride in ((64, 1), (128, 2), (128, 1), (256, 2)):
        blocks += [
            nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False),
            nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, filters, 1, bias=False),
            nn.BatchNorm2d(filters), nn.ReLU(),
        ]  # fmt: skip
        channels = filters
    blocks += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10)]
    return nn.Sequential(*blocks)


class _UNet(nn.Module):
    """The keras.io Xception-style U-Net; 'same' convs as symmetric torch padding."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU()
        )  # fmt: skip
        self.down = nn.ModuleList()
        self.down_skip = nn.ModuleList()
        channels = 32
        for filters in (64, 128, 256):
            self.down.append(nn.Sequential(
                nn.ReLU(), _separable(channels, filters), nn.BatchNorm2d(filters),
                nn.ReLU(), _separable(filters, filters), nn.BatchNorm2d(filters),
                nn.MaxPool2d(3, 2, 1),
            ))  # fmt: skip
            self.down_skip.append(nn.Conv2d(channels, filters, 1, stride=2))
            channels = filters
        self.up = nn.ModuleList()
        self.up_skip = nn.ModuleList()
        for filters in (256, 128, 64, 32):
            self.up.append(nn.Sequential(
                nn.ReLU(), nn.ConvTranspose2d(channels, filters, 3, padding=1),
                nn.BatchNorm2d(filters), nn.ReLU(),
                nn.ConvTranspose2d(filters, filters, 3, padding=1),
                nn.BatchNorm2d(filters), nn.Upsample(scale_factor=2),
            ))  # fmt: skip
            self.up_skip.append(nn.Conv2d(channels, filters, 1))
            channels = filters
        self.head = nn.Conv2d(32, classes, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block, skip in zip(self.down, self.down_skip):
            x = block(x) + skip(x)
        for block, skip in zip(self.up, self.up_skip):
            x = block(x) + skip(F.interpolate(x, scale_factor=2))
        return self.head(x)


def _separable(channels: int, filters: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
        nn.Conv2d(channels, filters, 1),
    )  # fmt: skip


class _Seed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5)
        self.conv2 = nn.Conv2d(32, 64, 5)
        self.fc = nn.Linear(1024, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


_MODELS: dict[str, Callable[[], nn.Module]] = {
    "seed": _Seed, "predict1": _Seed, "evaluate": _Seed, "seed_bf16": _Seed,
    "vgg": _vgg, "vgg_bf16": _vgg, "signal": _signal, "volume": _volume,
    "autoencoder": _autoencoder, "resnet": _resnet, "mobilenet": _mobilenet,
    "unet": _UNet,
}  # fmt: skip


def has_twin(workload: Workload) -> bool:
    return workload.name in _MODELS


def make_runner(
    workload: Workload, x_keras: torch.Tensor, y: torch.Tensor, full: bool, calls: int
) -> Callable[[], None]:
    """A closure running one measurement of ``workload`` in plain torch."""
    torch.manual_seed(0)
    model = _MODELS[workload.name]()
    x = x_keras.movedim(-1, 1).contiguous()  # the user's data loader gives NCHW
    if workload.loss == "binary_crossentropy":
        y = x
    batch = workload.batch
    autocast = torch.autocast("cpu", torch.bfloat16, enabled=workload.mixed)
    if workload.kind == "train":
        optimizer: torch.optim.Optimizer = (
            torch.optim.SGD(model.parameters(), lr=0.01)
            if workload.optimizer == "sgd"
            else torch.optim.Adam(model.parameters())
        )
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = (
            F.binary_cross_entropy
            if workload.loss == "binary_crossentropy"
            else F.cross_entropy
        )

        def train() -> None:
            model.train()
            order = torch.randperm(len(x))
            for start in range(0, len(x), batch):
                index = order[start : start + batch]
                optimizer.zero_grad(set_to_none=True)
                with autocast:
                    loss = loss_fn(model(x[index]).float(), y[index])
                loss.backward()
                optimizer.step()

        return train

    model.eval()
    if workload.kind == "evaluate":

        def evaluate() -> None:
            total = torch.zeros(())
            with torch.no_grad():
                for start in range(0, len(x), batch):
                    logits = model(x[start : start + batch])
                    total += F.cross_entropy(logits, y[start : start + batch])
            float(total)

        return evaluate

    if workload.kind == "predict":

        def predict_batches() -> None:
            with torch.no_grad():
                for start in range(0, len(x), batch):
                    torch.softmax(model(x[start : start + batch]), 1).numpy()

        return predict_batches

    def predict() -> None:
        with torch.no_grad():
            for _ in range(calls):
                torch.softmax(model(x[:1]), -1).numpy()

    return predict
