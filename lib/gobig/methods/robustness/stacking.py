"""Several models of one architecture as one function.

Their parameters are stacked along a new first dimension
(``torch.func.stack_module_state``) and one ``vmap``-ed ``functional_call``
runs them all: images ``[K, B, ...]`` give logits ``[K, B, C]``, model k
seeing slice k. Training (``gobig.methods.robustness.train``) and attacks (``gobig.methods.robustness.attacks``)
take such a stack wherever they take a model, so a sweep's seeds share every
GPU pass.

With ``compile=True`` the forward pass (the ``vmap``-ed function, or the one
plain module) goes through ``torch.compile``: on a GPU, fused kernels mean
fewer launches for small models. It compiles at its first call, once per
architecture, input shape and gradient mode in a process (a new stack of an
architecture already seen reuses the compiled code). torch 2.4 compiles a
plain model but not a stack, which then runs eager, with the same results.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

#: Compiled variants one function may hold. Dynamo's default (8) is spent
#: by one architecture's batch shapes and gradient modes (training, attack,
#: evaluation), after which it runs eager; a sweep meets 13 architectures.
RECOMPILE_LIMIT = 128


def _allow_recompiles() -> None:
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"  # renamed after torch 2.4
    setattr(config, name, max(getattr(config, name), RECOMPILE_LIMIT))


class StackedModels:
    """K models of one architecture as one function ``[K, B, ...] -> [K, B, C]``.

    ``parameters`` are the stacked leaves the optimizer updates;
    ``write_back()`` copies them into the original modules.
    """

    def __init__(self, models: list[nn.Module], compile: bool = False):
        if not models:
            raise ValueError("StackedModels needs at least one model")
        shapes = {tuple((name, tuple(p.shape)) for name, p in m.named_parameters()) for m in models}
        if len(shapes) != 1:
            raise ValueError("stacked models must share one architecture (same parameter names and shapes)")
        self.models = models
        self.compiled = compile
        if compile:
            _allow_recompiles()
        if len(models) == 1:
            self.parameters = list(models[0].parameters())
            # A compiled module shares the module's parameters.
            self._module = torch.compile(models[0]) if compile else models[0]
            return
        self._params, self._buffers = stack_module_state(models)
        self.parameters = list(self._params.values())
        # A stateless copy on the meta device supplies only the architecture.
        skeleton = copy.deepcopy(models[0]).to("meta")

        def one(params, buffers, x):
            return functional_call(skeleton, (params, buffers), (x,))

        if compile:
            # Dynamo meets the vmap call inside the function it compiles and
            # traces through it (torch 2.4's dynamo cannot, and runs the stack eager).
            self._forward = torch.compile(lambda params, buffers, x: vmap(one)(params, buffers, x))
        else:
            self._forward = vmap(one)

    def __len__(self) -> int:
        return len(self.models)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if self.compiled:
            # Evaluation expands one batch to all K models (stride 0); a compiled
            # function would recompile for each layout, so it always gets a dense one.
            images = images.contiguous()
        if len(self.models) == 1:
            return self._module(images[0])[None]
        device_type = images.device.type
        if torch.is_autocast_enabled(device_type):
            # Autocast does not reach the ops inside vmap (seen on CPU, and
            # nothing promises it on CUDA), which would leave a stack in fp32
            # where one model runs in bf16. So cast by hand what autocast
            # would: weights and inputs of the convolutions and matmuls.
            dtype = torch.get_autocast_dtype(device_type)
            params = {name: value.to(dtype) for name, value in self._params.items()}
            with torch.autocast(device_type, enabled=False):
                return self._forward(params, self._buffers, images.to(dtype))
        return self._forward(self._params, self._buffers, images)

    def train(self, mode: bool = True) -> StackedModels:
        for model in self.models:
            model.train(mode)
        return self

    def eval(self) -> StackedModels:
        return self.train(False)

    def requires_grad_(self, flag: bool = True) -> StackedModels:
        """Evaluation needs only input gradients: freeze the stacked leaves."""
        for parameter in self.parameters:
            parameter.requires_grad_(flag)
        return self

    @torch.no_grad()
    def write_back(self) -> None:
        if len(self.models) == 1:
            return
        for k, model in enumerate(self.models):
            for name, parameter in model.named_parameters():
                parameter.copy_(self._params[name][k])
