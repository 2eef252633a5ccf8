import pytest

from attncli.config_loading import load_config
from attncli.out_of_memory import failed_allocation, is_out_of_memory, model_advice, training_advice

# torch's own words, as a CPU allocator refusal, a CUDA one and an MPS one print them.
CPU_REFUSAL = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried "
    "to allocate 25600000000 bytes. Error code 12 (Cannot allocate memory)"
)
CUDA_REFUSAL = (
    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 14.75 GiB of which "
    "1.06 GiB is free."
)
MPS_REFUSAL = (
    "MPS backend out of memory (MPS allocated: 17.70 GB, other allocations: 1.30 GB, max allowed: 18.13 "
    "GB). Tried to allocate 256.00 MB on private pool."
)


def test_allocation_failures_are_told_apart_from_other_errors():
    import torch

    assert is_out_of_memory(RuntimeError(CPU_REFUSAL))
    # torch.cuda's name, which torch 2.3 has (its torch.OutOfMemoryError came in 2.5), on CPU builds too.
    assert is_out_of_memory(torch.cuda.OutOfMemoryError(CUDA_REFUSAL))
    assert is_out_of_memory(RuntimeError(MPS_REFUSAL))  # a plain RuntimeError on Apple GPUs
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory\nCUDA kernel errors might be ..."))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)"))
    assert not is_out_of_memory(ValueError("can't allocate memory"))  # not torch's allocator


def test_the_failed_allocation_is_said_in_binary_units():
    assert failed_allocation(RuntimeError(CPU_REFUSAL)) == "an allocation of 23.8 GiB"
    sizes = {"52428800": "50.0 MiB", "51200": "50.0 KiB", "512": "512 bytes"}
    for size, shown in sizes.items():
        assert failed_allocation(RuntimeError(CPU_REFUSAL.replace("25600000000", size))) == (
            f"an allocation of {shown}"
        )
    assert failed_allocation(RuntimeError(CUDA_REFUSAL)) == "an allocation of 2.00 GiB"
    assert failed_allocation(RuntimeError(MPS_REFUSAL)) == "an allocation of 256.00 MB"
    assert failed_allocation(MemoryError()) == "an allocation"


@pytest.mark.parametrize("max_length", [512, 100_000_000])
def test_the_advice_names_the_options_and_their_values_as_the_options_take_them(max_length):
    # ALiBi keeps no position table, whose size caps max_length with the other kinds.
    positions = ["model.positional=alibi"] if max_length > 1_000_000 else []
    config = load_config(
        None, ["train.batch_size=48", f"model.max_length={max_length}", "model.embed_dim=96", *positions]
    )
    assert training_advice(config) == (
        f"lower --batch-size (train.batch_size, 48) or --max-length (model.max_length, {max_length})"
    )
    assert model_advice(config, 16_000) == (
        f"lower --max-length (model.max_length, {max_length}), model.embed_dim (96) or "
        "tokenizer.vocab_size (a vocabulary of 16,000)"
    )


def test_the_model_advice_leaves_out_what_the_run_does_not_read(tmp_path):
    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text("{}")
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("a 1.0 2.0\n")
    config = load_config(
        None, ["model.max_length=64", f"tokenizer.path={tokenizer}", f"model.embeddings_init={vectors}"]
    )
    # The width is the vectors', the vocabulary the given tokenizer's: only max_length is the user's.
    assert model_advice(config, 30_000) == "lower --max-length (model.max_length, 64)"


def test_the_memory_available_is_held_within_a_containers_limit(tmp_path, monkeypatch):
    """/proc/meminfo shows the host's memory: a container's limit (cgroup) bounds what a run may take."""
    import attncli.out_of_memory as out_of_memory

    host = out_of_memory.available_memory()
    if host is None:
        pytest.skip("no /proc/meminfo here")
    (tmp_path / "memory.max").write_text("1073741824\n")
    (tmp_path / "memory.current").write_text("268435456\n")
    limits = ((str(tmp_path / "memory.max"), str(tmp_path / "memory.current")),)
    monkeypatch.setattr(out_of_memory, "CGROUP_LIMITS", limits)
    assert out_of_memory.available_memory() == min(host, 805306368)  # 1 GiB less the 256 MiB in use
    (tmp_path / "memory.max").write_text("max\n")  # no limit
    assert abs(out_of_memory.available_memory() - host) < 2**30
