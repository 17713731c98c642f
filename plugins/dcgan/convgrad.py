"""Convolutions whose weight gradient is one matrix product where that is faster than oneDNN's.

Measured on a 2-core AVX2 CPU (docs/images.md): oneDNN's backward-weights kernel for the layers
beside the 4x4 feature map (256 -> 512 channels in the discriminator, 512 -> 256 in the generator
at 64 px) runs at half the speed of the same layer's forward pass, because it keeps a copy of the
large weight gradient per thread. There the gradient is one GEMM over an im2col copy of the
input, which is small beside the weights, and about twice as fast. The forward pass and the input
gradient stay oneDNN's. It is the same sum, so what is learned does not change (up to float
rounding, about 1e-6 relative).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

_CL = torch.channels_last


def use_gemm(batch: int, out_side: tuple[int, int], out_channels: int, channels_last: bool) -> bool:
    """Whether the im2col product is the faster weight gradient for this shape.

    It wins when the im2col matrix (rows: batch x output pixels) is at most a few times the
    weight's rows; with wide outputs the copy costs more than the kernel saves.
    """
    return channels_last and batch * out_side[0] * out_side[1] <= 4 * out_channels


def weight_grad(inp: torch.Tensor, grad_out: torch.Tensor, k: int, s: int, p: int) -> torch.Tensor:
    """dW (C_out, C_in, k, k), channels-last, of a convolution from its input and output grad."""
    n, c, _, _ = inp.shape
    _, c_out, oh, ow = grad_out.shape
    # (N, H + 2p, W + 2p, C): a channels-last input is this layout already, so permute is free.
    padded = F.pad(inp, (p, p, p, p)).permute(0, 2, 3, 1).contiguous()
    sn, sh, sw, sc = padded.stride()
    cols = padded.as_strided((n, oh, ow, k, k, c), (sn, s * sh, s * sw, sh, sw, sc))
    cols = cols.reshape(n * oh * ow, k * k * c)  # the one copy: im2col
    grads = grad_out.permute(0, 2, 3, 1).reshape(n * oh * ow, c_out)
    return (grads.t() @ cols).view(c_out, k, k, c).permute(0, 3, 1, 2)


class _GemmGradConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, conf: tuple) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.conf = conf
        stride, padding, transposed = conf
        return torch.ops.aten.convolution(
            x, weight, None, [stride] * 2, [padding] * 2, [1, 1], transposed, [0, 0], 1
        )

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        x, weight = ctx.saved_tensors
        stride, padding, transposed = ctx.conf
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        k = weight.shape[-1]
        # A transposed convolution's weight gradient is the plain one with the roles of its
        # input and output swapped: its input plays the output gradient.
        conv_in, conv_out = (grad, x) if transposed else (x, grad)
        # Measured on CPUs only: on a GPU, cuDNN keeps the whole backward pass.
        gemm = (
            need_w
            and x.device.type == "cpu"
            and use_gemm(
                x.shape[0],
                (conv_out.shape[2], conv_out.shape[3]),
                conv_out.shape[1],
                x.is_contiguous(memory_format=_CL) and weight.is_contiguous(memory_format=_CL),
            )
        )
        grad_x = grad_w = None
        if need_x or (need_w and not gemm):
            grad_x, grad_w, _ = torch.ops.aten.convolution_backward(
                grad, x, weight, None, [stride] * 2, [padding] * 2, [1, 1], transposed,
                [0, 0], 1, [need_x, need_w and not gemm, False],
            )  # fmt: skip
        if gemm:
            conv_in = conv_in.contiguous(memory_format=_CL)
            grad_w = weight_grad(conv_in, conv_out, k, stride, padding)
        return grad_x, grad_w, None


def _plain(conv: nn.Conv2d | nn.ConvTranspose2d) -> bool:
    """Whether to leave this call to torch: no weight gradient wanted, or a shape not handled."""
    square = conv.stride[0] == conv.stride[1] and conv.padding[0] == conv.padding[1]
    simple = conv.bias is None and conv.groups == 1 and conv.dilation == (1, 1)
    simple = simple and tuple(getattr(conv, "output_padding", (0, 0))) == (0, 0)
    wanted = torch.is_grad_enabled() and conv.weight.requires_grad
    return not (square and simple and wanted and conv.padding_mode == "zeros")


class Conv2d(nn.Conv2d):
    """nn.Conv2d (same weights, same state dict) with the GEMM weight gradient where it wins."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _plain(self):
            return super().forward(x)
        return _GemmGradConv.apply(x, self.weight, (self.stride[0], self.padding[0], False))


class ConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d with the GEMM weight gradient where it wins."""

    def forward(self, x: torch.Tensor, output_size: Any = None) -> torch.Tensor:
        if output_size is not None or _plain(self):
            return super().forward(x, output_size)
        return _GemmGradConv.apply(x, self.weight, (self.stride[0], self.padding[0], True))
