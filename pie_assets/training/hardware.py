"""Where a run trains: the GPU in bfloat16 when there is one (float32 where bf16 is unsupported),
else the CPU in float32. Recorded in the manifest, because losses differ between them."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Hardware:
    device: str  # cuda | cpu
    dtype: str  # bfloat16 | float32
    name: str  # the GPU's name, or the CPU's
    count: int  # GPUs visible, or CPU cores

    @property
    def bf16(self) -> bool:
        return self.dtype == "bfloat16"

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect() -> Hardware:
    import torch

    if torch.cuda.is_available():
        dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
        return Hardware("cuda", dtype, torch.cuda.get_device_name(0), torch.cuda.device_count())
    return Hardware("cpu", "float32", platform.processor() or platform.machine(), os.cpu_count() or 1)
