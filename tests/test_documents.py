import os
import threading

from conftest import deny_listing

from attncli.documents import whole_text


def test_a_pipe_read_whole_keeps_its_first_bytes(tmp_path):
    """`--file <(zcat essay.txt.gz) --whole-file`: the checks of a file read the head of the path
    first, which a pipe hands over once; its first 4,096 bytes were lost, exit 0 (a review)."""
    text = "Soup and bread. " * 400 + "\n\nThe end."
    pipe = tmp_path / "essay.pipe"
    os.mkfifo(pipe)

    def write() -> None:
        with pipe.open("wb") as writer:
            writer.write((text + "\n").encode("utf-16"))  # a byte-order mark, as PowerShell writes

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert whole_text(pipe, encoding="utf-8") == text
    finally:
        writer.join(timeout=10)


def test_a_file_read_whole_drops_only_its_last_line_end(tmp_path):
    path = tmp_path / "essay.txt"
    path.write_bytes(b"First paragraph.\r\n\r\nSecond.\r\n")
    assert whole_text(path, encoding="utf-8") == "First paragraph.\r\n\r\nSecond."


def test_a_folder_of_texts_is_read_though_a_folder_in_it_cannot_be_listed(tmp_path, monkeypatch):
    """A lost+found its user may not list stopped predict --file FOLDER (a review): the folders in a
    folder of texts are only looked into to tell a folder of label folders."""
    import attncli.documents as documents
    from attncli.documents import folder_files

    (tmp_path / "a.txt").write_text("soup")
    (tmp_path / "lost+found").mkdir()
    deny_listing(monkeypatch, documents, "lost+found")
    assert folder_files(tmp_path) == [tmp_path / "a.txt"]
