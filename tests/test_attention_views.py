import pytest

from attncli.checkpoint import load_checkpoint
from attncli.inspection import inspect_text
from attncli.tokenization import encode


def test_received_attention_averages_real_queries_and_drops_the_classification_token():
    import torch

    from attncli.attention_views import received_attention

    attention = torch.tensor(
        [
            [[0.5, 0.25, 0.25], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0]],
            [[1.0, 0.0, 0.0], [0.2, 0.4, 0.4], [0.2, 0.0, 0.8]],
        ]
    )  # (H=2, T'=3, T'=3), position 0 a classification token
    assert received_attention(attention, head=0, offset=1).tolist() == [0.75, 0.25]  # (0.5+1)/2, (0.5+0)/2
    both = received_attention(attention, head=None, offset=0)
    # heads averaged: [[.75, .125, .125], [.1, .45, .45], [.1, .5, .4]]; then the mean of the rows
    assert torch.allclose(both, torch.tensor([0.95, 1.075, 0.975]) / 3)


def test_rollout_mixes_each_layer_with_the_residual_and_chains_layers():
    import torch

    from attncli.attention_views import attention_rollout

    layer = torch.tensor([[[0.0, 1.0], [0.0, 1.0]]])  # every query reads token 1 only
    start = torch.tensor([1.0, 0.0])
    one = attention_rollout([layer], start)
    assert torch.allclose(one, torch.tensor([0.5, 0.5]))  # half residual, half attention
    two = attention_rollout([layer, layer], start)
    assert torch.allclose(two, torch.tensor([0.25, 0.75]))
    assert torch.allclose(two.sum(), torch.tensor(1.0))


@pytest.mark.parametrize("pooling", ["attention", "cls", "mean"])
def test_every_view_sums_to_one_over_the_real_tokens(tmp_path, pooling):
    from conftest import save_untrained_checkpoint

    path = save_untrained_checkpoint(tmp_path / pooling, num_layers=2, pooling=pooling, positional="rope")
    loaded = load_checkpoint(path)
    text = "the coach said football today"
    views = [{"layer": 1}, {"layer": 2, "head": 2}, {"rollout": True}]
    if pooling != "mean":
        views.append({"pooling": True})
    views.append({})  # the default: rollout, for a model with self-attention layers
    for view in views:
        inspection = inspect_text(loaded, text, **view)
        assert len(inspection.tokens) == 5, view
        assert sum(item.weight for item in inspection.tokens) == pytest.approx(1.0, abs=1e-5), view
        assert all(item.weight >= 0 for item in inspection.tokens)
    assert inspect_text(loaded, text).view.startswith("attention rollout through 2 layers")
    if pooling == "cls":
        assert "classification token" in inspect_text(loaded, text, pooling=True).view
        # One head of it, as --pooling --head shows one head of attention pooling (it was refused,
        # with advice that led to another refusal).
        import torch

        one = inspect_text(loaded, text, pooling=True, head=2)
        assert one.view == "attention from the classification token in the last layer (head 2 of 2)"
        with torch.inference_mode():
            (encoded,) = encode(loaded.tokenizer, [text], max_length=loaded.config.model.length)
            ids = torch.tensor([encoded.ids])
            last = loaded.model(ids, return_attentions=True).attentions[-1][0, 1, 0, 1:]
        expected = (last / last.sum()).tolist()
        assert [item.weight for item in one.tokens] == pytest.approx(expected, abs=1e-6)
        with pytest.raises(Exception, match="--head 3: the last layer has 2 heads"):
            inspect_text(loaded, text, pooling=True, head=3)
        with pytest.raises(Exception, match=r"or of the classification token's attention \(pass --pooling\)"):
            inspect_text(loaded, text, head=1)


def test_each_view_shows_the_weights_of_the_layer_and_head_it_names(tmp_path):
    """The views' weights computed here from the model's own attention matrices: layer 2's head 2,
    layer 1's heads averaged, and rollout through both layers from the pooling's weights."""
    import torch
    from conftest import save_untrained_checkpoint

    loaded = load_checkpoint(save_untrained_checkpoint(tmp_path / "two", num_layers=2, num_heads=2))
    text = "the coach said football today"
    with torch.inference_mode():
        (encoded,) = encode(loaded.tokenizer, [text], max_length=loaded.config.model.length)
        output = loaded.model(torch.tensor([encoded.ids]), return_attentions=True)
    first, second = (layer[0].float() for layer in output.attentions)  # (H, T, T) each

    def shown(**view):
        return torch.tensor([item.weight for item in inspect_text(loaded, text, **view).tokens])

    def received(matrix):  # what each token receives, averaged over the queries
        return matrix.mean(0) / matrix.mean(0).sum()

    assert torch.allclose(shown(layer=2, head=2), received(second[1]), atol=1e-6)
    assert torch.allclose(shown(layer=1), received(first.mean(0)), atol=1e-6)
    assert not torch.allclose(shown(layer=2, head=2), shown(layer=2, head=1), atol=1e-4)
    assert not torch.allclose(shown(layer=1), shown(layer=2), atol=1e-4)
    eye = torch.eye(len(encoded.ids))
    first_mixed, second_mixed = ((0.5 * a.mean(0) + 0.5 * eye) for a in (first, second))
    first_mixed, second_mixed = (m / m.sum(-1, keepdim=True) for m in (first_mixed, second_mixed))
    rolled = output.pooling_weights[0].float() @ second_mixed @ first_mixed
    assert torch.allclose(shown(), rolled / rolled.sum(), atol=1e-6)  # the default view
    last_only = output.pooling_weights[0].float() @ second_mixed
    assert not torch.allclose(shown(), last_only / last_only.sum(), atol=1e-4)


def test_pooling_heads_are_shown_averaged_and_said_so_or_one_at_a_time(tmp_path):
    """Each pooling head pools its own slice of the states with its own weights: the default view
    is their mean and says so; --head shows the weights one head really used."""
    import torch
    from conftest import save_untrained_checkpoint

    from attncli.errors import InspectError
    from attncli.packing import pad_batch
    from attncli.tokenization import encode

    path = save_untrained_checkpoint(tmp_path / "heads", num_layers=0, pooling="attention", pooling_heads=4)
    loaded = load_checkpoint(path)
    text = "the coach said football today"
    averaged = inspect_text(loaded, text)
    assert averaged.view == "attention pooling weights (4 heads averaged)"
    ids = pad_batch([encode(loaded.tokenizer, [text], max_length=32)[0].ids], pad_id=loaded.pad_id)
    with torch.inference_mode():
        per_head = loaded.model(ids).pooling_head_weights[0]  # (4, T)
    for head in range(1, 5):
        shown = inspect_text(loaded, text, head=head)
        assert shown.view == f"attention pooling weights of head {head} of 4"
        assert [item.weight for item in shown.tokens] == pytest.approx(per_head[head - 1].tolist(), abs=1e-6)
    assert [item.weight for item in averaged.tokens] == pytest.approx(per_head.mean(0).tolist(), abs=1e-6)
    assert not torch.allclose(per_head[0], per_head[1])  # the heads differ: a mean is not any one of them
    with pytest.raises(InspectError, match="--head 5: the attention pooling has 4 heads, numbered from 1"):
        inspect_text(loaded, text, head=5)
    with pytest.raises(InspectError, match=r"or of the attention pooling \(pass --pooling\)"):
        inspect_text(
            load_checkpoint(save_untrained_checkpoint(tmp_path / "layered", num_layers=1)), text, head=1
        )
