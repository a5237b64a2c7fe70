"""Models out: a trained model's weights as a PyTorch state_dict, in a safetensors file.

    minishop export runs/shop --to torch --out shop.safetensors

    import safetensors.torch
    torch_model.load_state_dict(safetensors.torch.load_file("shop.safetensors"))

minishop's Linear computes y = x @ W + b with W stored (in, out), so that the formula reads as it runs;
torch.nn.Linear computes y = x @ W.T + b with W stored (out, in). A checkpoint copied as it is would load
into PyTorch without any error and compute nonsense (a square W silently transposed). So the export
transposes exactly the weights of Linear layers, and keeps every other array as it is: embeddings are
(num, dim) and LayerNorm's weight and bias are vectors in both libraries. The names stay minishop's
dotted parameter names (blocks.0.attention.q_proj.weight, ...), and the file's metadata holds the
model's config, so a PyTorch model built with the same names and sizes loads it with strict=True.
"""

import json

import safetensors.numpy

from minishop import backend
from minishop.nn.layers import Linear

FORMAT = "minishop-torch-state-dict-v1"


def linear_weight_names(model):
    """The dotted names of the weights of every Linear layer in `model`."""
    linear_weights = {id(module.weight) for module in model.modules() if isinstance(module, Linear)}
    return {name for name, parameter in model.named_parameters() if id(parameter) in linear_weights}


def torch_state_dict(model):
    """{name: host float32 array} in PyTorch's layout: Linear weights (out, in), the rest unchanged."""
    transposed = linear_weight_names(model)
    np = backend.np
    return {name: np.ascontiguousarray(backend.to_numpy(parameter.data).T if name in transposed
                                       else backend.to_numpy(parameter.data)).astype(np.float32)
            for name, parameter in model.named_parameters()}


def export_torch(model, path, config=None):
    """Write torch_state_dict(model) to `path` (safetensors), the model's config in its metadata."""
    metadata = {"format": FORMAT, "layout": "torch: Linear weights (out, in)",
                "config": json.dumps(config if config is not None else getattr(model, "config", {}))}
    safetensors.numpy.save_file(torch_state_dict(model), path, metadata=metadata)
    return path
