from attncli.carving import stratified_split


def test_stratified_split_is_seeded_and_keeps_proportions():
    labels = [0] * 50 + [1] * 30 + [2] * 1
    kept, carved = stratified_split(labels, fraction=0.2, seed=3)
    assert sorted(kept + carved) == list(range(81)) and list(kept) == sorted(kept)
    assert [labels[i] for i in carved].count(0) == 10
    assert [labels[i] for i in carved].count(1) == 6
    assert 80 in kept  # a label with one example stays in train
    assert stratified_split(labels, fraction=0.2, seed=3) == (kept, carved)
    assert stratified_split(labels, fraction=0.2, seed=4) != (kept, carved)
