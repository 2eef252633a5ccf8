import json

from affixed_messages import KEYWORDS, NEW_PARTICLES, TRAINING_PARTICLES, generate


def _keyword_forms(path, particles):
    """Each keyword's forms in the file's messages, with the particle it carries."""
    keywords = {keyword for words in KEYWORDS.values() for keyword in words}
    forms = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for word in row["text"].split():
            for particle in particles:
                if word.endswith(particle) and word[: -len(particle)] in keywords:
                    assert word[: -len(particle)] in KEYWORDS[row["label"]]  # its intent's keyword
                    forms.add(word)
    return forms


def test_the_hard_messages_keywords_carry_only_particles_training_never_put_on_a_keyword(tmp_path):
    generate(tmp_path, seed=0)
    counts = {
        name: len((tmp_path / f"{name}.jsonl").read_text().splitlines()) for name in ("train", "test", "hard")
    }
    assert counts == {"train": 480, "test": 160, "hard": 160}
    trained = _keyword_forms(tmp_path / "train.jsonl", TRAINING_PARTICLES + NEW_PARTICLES)
    hard = _keyword_forms(tmp_path / "hard.jsonl", NEW_PARTICLES)
    assert len(hard) > 30 and not hard & trained
    assert all(any(form.endswith(p) for p in TRAINING_PARTICLES) for form in trained)
    # The same seed writes the same sets.
    generate(tmp_path / "again", seed=0)
    assert (tmp_path / "again" / "hard.jsonl").read_bytes() == (tmp_path / "hard.jsonl").read_bytes()
