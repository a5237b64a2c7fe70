"""Saving and loading training state: model weights, optimizer state and a JSON config, in one file.

The file is a safetensors file (https://github.com/huggingface/safetensors): a little-endian u64 header
length, a JSON header describing each array, then the raw bytes. Loading it can never run code (unlike a
pickle). Arrays are stored under "model.<parameter name>" and "optimizer.<buffer name>"; the config and
the optimizer's numbers go into the header's metadata as JSON text.

Writing is atomic: the bytes go to a temporary file in the same folder, are flushed to disk, and only
then renamed over the target with os.replace. A crash mid-save leaves the previous checkpoint intact.
"""

import json
import os
import struct
import tempfile

import safetensors.numpy

from minishop import backend

FORMAT = "minishop-checkpoint-v1"


class CheckpointError(ValueError):
    """A file that is not a readable minishop checkpoint (truncated, foreign, or for another model)."""


def save_checkpoint(path, model, optimizer=None, config=None):
    """Write model (and optimizer) state plus a JSON-serialisable config dict to `path`, atomically."""
    arrays = {f"model.{name}": backend.to_numpy(array) for name, array in model.state_dict().items()}
    metadata = {"format": FORMAT, "config": json.dumps(config if config is not None else {})}
    if optimizer is not None:
        state = optimizer.state_dict()
        for name, array in state.pop("buffers").items():
            arrays[f"optimizer.{name}"] = backend.to_numpy(array)
        metadata["optimizer"] = json.dumps(state)
    payload = safetensors.numpy.save(arrays, metadata=metadata)

    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them visible
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(temporary, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _read_metadata(path, data):
    """The header's metadata dict, with clear errors for files that are not minishop checkpoints."""
    if len(data) < 8:
        raise CheckpointError(f"{path}: {len(data)} bytes is too short to be a checkpoint (truncated?)")
    (header_length,) = struct.unpack("<Q", data[:8])
    if 8 + header_length > len(data):
        raise CheckpointError(
            f"{path}: header claims {header_length} bytes but the file has {len(data)} "
            "(truncated, or not a safetensors checkpoint)"
        )
    try:
        header = json.loads(data[8 : 8 + header_length])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: header is not valid JSON; not a minishop checkpoint ({error})") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not metadata or metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a minishop checkpoint (no '{FORMAT}' format tag in its metadata)")
    return metadata


def load_checkpoint(path, model, optimizer=None):
    """Load weights into `model` (and state into `optimizer`) from `path`; return the saved config dict."""
    with open(path, "rb") as file:
        data = file.read()
    metadata = _read_metadata(path, data)
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as error:  # safetensors reports truncation and corruption with its own error type
        raise CheckpointError(f"{path}: array data is unreadable (truncated or corrupted): {error}") from None

    model_state = {name[len("model."):]: array for name, array in arrays.items() if name.startswith("model.")}
    try:
        model.load_state_dict(model_state)
    except ValueError as error:
        raise CheckpointError(f"{path}: does not fit this model: {error}") from None

    if optimizer is not None:
        if "optimizer" not in metadata:
            raise CheckpointError(f"{path}: holds no optimizer state, but an optimizer was given to load into")
        state = json.loads(metadata["optimizer"])
        state["buffers"] = {
            name[len("optimizer."):]: array for name, array in arrays.items() if name.startswith("optimizer.")
        }
        try:
            optimizer.load_state_dict(state)
        except ValueError as error:
            raise CheckpointError(f"{path}: does not fit this optimizer: {error}") from None
    return json.loads(metadata["config"])


def _current_umask():
    """The process's umask (reading it means setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
