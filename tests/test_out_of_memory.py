import pytest

from attncli.config_loading import load_config
from attncli.out_of_memory import failed_allocation, is_out_of_memory, model_advice, training_advice

# torch's own words, as a CPU allocator refusal and a CUDA one print them.
CPU_REFUSAL = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried "
    "to allocate 25600000000 bytes. Error code 12 (Cannot allocate memory)"
)
CUDA_REFUSAL = (
    "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 14.75 GiB of which "
    "1.06 GiB is free."
)


def test_allocation_failures_are_told_apart_from_other_errors():
    import torch

    assert is_out_of_memory(RuntimeError(CPU_REFUSAL))
    assert is_out_of_memory(torch.OutOfMemoryError(CUDA_REFUSAL))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)"))
    assert not is_out_of_memory(ValueError("can't allocate memory"))  # not torch's allocator


def test_the_failed_allocation_is_said_in_binary_units():
    assert failed_allocation(RuntimeError(CPU_REFUSAL)) == "an allocation of 23.8 GiB"
    assert failed_allocation(RuntimeError(CPU_REFUSAL.replace("25600000000", "52428800"))) == (
        "an allocation of 50.0 MiB"
    )
    assert failed_allocation(RuntimeError(CUDA_REFUSAL)) == "an allocation of 2.00 GiB"
    assert failed_allocation(MemoryError()) == "an allocation"


@pytest.mark.parametrize("max_length", [512, 100_000_000])
def test_the_advice_names_the_options_and_their_values(max_length):
    config = load_config(
        None, ["train.batch_size=48", f"model.max_length={max_length}", "model.embed_dim=96"]
    )
    assert training_advice(config) == (
        f"lower --batch-size (train.batch_size, 48) or --max-length (model.max_length, {max_length})"
    )
    assert model_advice(config, 16_000) == (
        f"lower --max-length (model.max_length, {max_length:,}), model.embed_dim (96) or "
        "tokenizer.vocab_size (a vocabulary of 16,000)"
    )
