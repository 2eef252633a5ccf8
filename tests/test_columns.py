import pytest

from attncli.columns import _text_pair, choose_columns
from attncli.errors import DataError
from attncli.layouts import Layout


@pytest.mark.parametrize(
    "columns",
    [
        ("premise", "hypothesis", "label"),
        ("sentence1", "sentence2", "label"),
        ("question1", "question2", "label"),
    ],
)
def test_a_pair_of_text_columns_is_told_to_be_joined(columns):
    """NLI and paraphrase data said only 'pass --text-column to name one', which drops the other."""
    with pytest.raises(DataError) as refused:
        choose_columns(Layout(columns=columns), where="D", text=None)
    assert str(refused.value).startswith(
        f"no text column found (pass --text-column to name one); {columns[0]!r} and {columns[1]!r} hold a "
        f"pair of texts: --text-column {columns[0]},{columns[1]} reads both as one text, a line each; D has "
        "columns"
    )


def test_a_text_column_found_in_a_pair_says_its_pair_is_not_read():
    chosen = choose_columns(Layout(columns=("question", "passage", "label")), where="D", text=None)
    assert (chosen.text, chosen.note) == (
        "question",
        "D: using text column 'question', chosen by name (--text-column chooses another); its pair 'passage' "
        "is not read: --text-column question,passage reads both as one text, a line each",
    )
    # Named by the user: their choice, said nothing of; numbered columns that hold no texts are no pair.
    assert (
        choose_columns(Layout(columns=("question", "passage", "label")), where="D", text="passage").note
        is None
    )
    assert choose_columns(Layout(columns=("text", "id1", "id2", "label")), where="D", text=None).note is None
    assert _text_pair(Layout(columns=("id1", "id2", "label"))) is None
    assert _text_pair(Layout(columns=("Sentence A", "sentence B", "label"))) == ("Sentence A", "sentence B")


@pytest.mark.parametrize(
    "columns, text, label",
    [
        (("ID", "Prioridad", "Asunto", "Descripción", "Categoría"), "Descripción", "Categoría"),
        (("id", "Descrição", "Categoria"), "Descrição", "Categoria"),
        (("texte", "catégorie"), "texte", "catégorie"),
        (("Beschreibung", "Kategorie"), "Beschreibung", "Kategorie"),
        (("descrizione_ticket", "etichetta"), "descrizione_ticket", "etichetta"),
        (("Comentarios", "Categorías"), "Comentarios", "Categorías"),  # plurals (a review)
        (("mensajes", "clases"), "mensajes", "clases"),
        (("comentarios_cliente", "categorias_ticket"), "comentarios_cliente", "categorias_ticket"),
        (("Respuesta", "Categoría"), "Respuesta", "Categoría"),
        (("Antwort", "Kategorie"), "Antwort", "Kategorie"),
        (("编号", "评论", "情感", "主题"), "评论", "情感"),  # a Chinese review export (a trial)
        (("內容", "類別"), "內容", "類別"),
    ],
)
def test_the_usual_names_in_other_languages_are_found(columns, text, label):
    """A Spanish helpdesk export's `Descripción` and `Categoría` were found by neither (a trial)."""
    chosen = choose_columns(Layout(columns=columns), where="D", text=None)
    assert (chosen.text, chosen.label) == (text, label)


@pytest.mark.parametrize(
    "columns, text, label",
    [
        (("etiquette_question", "answer", "label"), "answer", "label"),  # English etiquette, no label
        (("etiquette_question", "reply", "label"), "etiquette_question", "label"),
        (("text文本", "label标签"), "text文本", "label标签"),  # ASCII words apart from the others
        (("text", "topic_categories", "label_id"), "text", "label_id"),  # no French singular of categories
        (("text", "label", "categories"), "text", "label"),
    ],
)
def test_english_names_are_found_as_before_the_other_languages(columns, text, label):
    """A review of the multilingual names: each was found otherwise, or not at all."""
    chosen = choose_columns(Layout(columns=columns), where="D", text=None)
    assert (chosen.text, chosen.label) == (text, label)
    assert "over" not in (chosen.note or "")


def test_a_name_in_another_unicode_form_or_without_its_accents_is_the_column():
    """A header saved on a Mac spells `Descripción` with a combining accent: `--text-column
    Descripción` was "not found (closest: 'Descripción')", the same name to the eye."""
    decomposed = ("ID", "Descripcio\u0301n", "Categori\u0301a")
    chosen = choose_columns(Layout(columns=decomposed), where="D", text="Descripción", label="Categoría")
    assert (chosen.text, chosen.label) == ("Descripcio\u0301n", "Categori\u0301a")
    assert choose_columns(Layout(columns=decomposed), where="D", text="descripcion").text == decomposed[1]
    with pytest.raises(
        DataError, match="text column 'Descripciones' not found \\(closest: 'Descripcio\u0301n'\\)"
    ):
        choose_columns(Layout(columns=decomposed), where="D", text="Descripciones")


@pytest.mark.parametrize(
    "columns, text",
    [
        (("Respondent ID", "Date", " Response ", "Category"), " Response "),
        (("id", "Answer", "Code"), "Answer"),
        (("customer_feedback", "sentiment"), "customer_feedback"),
        (("Verbatim", "Theme"), "Verbatim"),
        (("Response", "Comment", "Category"), "Comment"),  # a comment before a response (a Likert score)
        (("response_time", "response_id", "message", "label"), "message"),
    ],
)
def test_a_survey_exports_answers_are_its_text_column(columns, text):
    """Survey tools head the answers to an open question `Response`, `Answer` or `Verbatim`: a
    trial's export was refused with "no text column found" until --text-column named it."""
    chosen = choose_columns(Layout(columns=columns), where="D", text=None, with_label=False)
    assert chosen.text == text


@pytest.mark.parametrize(
    "columns, text, label",
    [
        (("student_id", "essay", "grade"), "essay", "grade"),
        (("review", "rating"), "review", "rating"),
        (("comment", "stars"), "comment", "stars"),
        (("review_id", "reviewText", "overall", "helpful_votes"), "reviewText", "overall"),  # Amazon's
        (("pupil", "answer", "Mark"), "answer", "Mark"),
        (("essay_id", "essay", "domain1_score"), "essay", "domain1_score"),  # by a word in its name
        (("id", "review_stars", "review_body"), "review_body", "review_stars"),  # after the text
        # A text column's name may hold one of them (a review's rating_comment was 'no text column').
        (("rating_comment", "label"), "rating_comment", "label"),
        (("comment_score", "category"), "comment_score", "category"),
        # Where a usual label name is there, exactly or by a word in it, the last-resort names lose.
        (("text", "score", "label"), "text", "label"),
        (("essay", "grade", "category"), "essay", "category"),
        (("text", "rating", "sentiment_label"), "text", "sentiment_label"),
        (("review", "stars", "rating"), "review", "rating"),  # among them, in their order
        # A chatbot's intents (CLINC150, SNIPS, Rasa): a usual name, not a guess.
        (("text", "intent"), "text", "intent"),
        (("utterance", "score", "intent"), "utterance", "intent"),
        # ... and a text column's name may hold the word (found as a text before the commit that added it).
        (("intent_description", "label"), "intent_description", "label"),
        (("user_intent_message", "intent"), "user_intent_message", "intent"),
        # A news classifier's topic, found last (a forum's `topic` may be a title beside a label).
        (("url", "text", "topic"), "text", "topic"),
        (("body", "topic", "label"), "body", "label"),
        # A survey coder's themes, and a help desk's groups (Zendesk, Freshdesk): trials of both.
        (("Response", "Theme"), "Response", "Theme"),
        (("Ticket ID", "Subject", "Description", "Type", "Group"), "Description", "Group"),
        (("text", "group", "label"), "text", "label"),
        (("sender", "subject", "body", "verdict"), "body", "verdict"),  # a spam analyst's trial
        (("Kommentar", "Thema"), "Kommentar", "Thema"),  # an HR analyst's trial
    ],
)
def test_grades_ratings_and_scores_are_label_columns_where_no_usual_name_is(columns, text, label):
    """A teacher's student_id,essay,grade was 'no text column found ... no label column found'. A
    score also heads numbers that are no classes (an annotator's, predict's own), so it is a guess,
    said in a note, and `label` beside `score` is `label`, as before."""
    chosen = choose_columns(Layout(columns=columns), where="D", text=None)
    assert (chosen.text, chosen.label) == (text, label)
    guessed = f"label column {label!r}"
    assert (guessed in (chosen.note or "")) == (label not in ("label", "category", "intent"))


def test_a_guessed_label_column_names_the_other_guesses_it_was_taken_over():
    """A survey's Score was taken over its Theme without a word of Theme (an HR analyst's trial): which
    of two such columns holds the classes cannot be told by their names, so the note names both."""
    chosen = choose_columns(Layout(columns=("Comments (optional)", "Score", "Theme")), where="D", text=None)
    assert chosen.label == "Score"
    assert "label column 'Score' over 'Theme', chosen by name" in (chosen.note or "")
    # Not beside a usual label name, which is no guess: an annotator's score beside a label is no label.
    usual = choose_columns(Layout(columns=("text", "score", "label")), where="D", text=None)
    assert usual.label == "label" and " over " not in (usual.note or "")


@pytest.mark.parametrize(
    "columns, label",
    [
        (("essay", "grade", "attn_label"), "grade"),  # predict's output of a teacher's file, trimmed
        (("text", "sentiment_label", "attn_label_2"), "sentiment_label"),
        (("text", "attn_score", "stars"), "stars"),
        (("text", "attn_labels"), "attn_labels"),  # no name predict gives: the user's own
    ],
)
def test_a_column_predict_added_is_never_taken_for_the_true_labels(columns, label):
    """predict heads its prediction attn_label beside a label-like column; detection took it by the
    word "label" in its name, so a trimmed output was scored against its own predictions."""
    chosen = choose_columns(Layout(columns=columns), where="D", text=None)
    assert chosen.label == label
    assert " over " not in (chosen.note or "")  # not named as a column passed over either


def test_a_table_whose_only_label_column_is_predicts_says_so():
    with pytest.raises(DataError) as refused:
        choose_columns(Layout(columns=("text", "attn_label")), where="D", text=None)
    assert str(refused.value) == (
        "no label column found (pass --label-column to name one); 'attn_label' holds attn predict's "
        "predictions, not true labels; D has columns 'text', 'attn_label'"
    )
    named = choose_columns(Layout(columns=("text", "attn_label")), where="D", text=None, label="attn_label")
    assert named.label == "attn_label"
    # A run trained on predict's labels by name finds them first, as eval passes them.
    trained = choose_columns(
        Layout(columns=("text", "attn_label")), where="D", text=None, label_first=["attn_label"]
    )
    assert trained.label == "attn_label"


def test_the_column_the_model_was_trained_on_is_said_to_be_so_not_guessed_by_name():
    """Eval of a file holding topic and sentiment, for a model trained on topic, said topic was
    "chosen by name" over sentiment (a trial): it is the model's own."""
    layout = Layout(columns=("text", "sentiment", "topic"))
    chosen = choose_columns(layout, where="D", text=None, label_first=("topic",))
    assert chosen.label == "topic" and chosen.note is not None
    assert "label column 'topic' (the one the model was trained on) over 'sentiment'" in chosen.note
    guessed = choose_columns(Layout(columns=("text", "sentiment", "class")), where="D", text=None)
    assert guessed.note is not None and "trained on" not in guessed.note


def test_several_text_columns_named_together_are_chosen_as_one():
    layout = Layout(columns=("id", "Title ", "Description", "label"))
    # Each name found as one named alone is (spaces around a header's name, another case), in order.
    chosen = choose_columns(layout, where="D", text="title, description")
    assert (chosen.text, chosen.label, chosen.note) == ("Title ,Description", "label", None)
    with pytest.raises(DataError, match=r"text column 'descripton' not found \(closest: 'Description'"):
        choose_columns(Layout(columns=("title", "Description", "label")), where="D", text="title,descripton")
    with pytest.raises(DataError, match="names column 'title' twice"):
        choose_columns(Layout(columns=("title", "body", "label")), where="D", text="title,body,Title")
    with pytest.raises(DataError, match="has an empty column name"):
        choose_columns(Layout(columns=("title", "body", "label")), where="D", text="title,")
    with pytest.raises(
        DataError, match="label column 'label' is one of the text columns 'title,label' joins"
    ):
        choose_columns(Layout(columns=("title", "label")), where="D", text="title,label", label="label")
    # A name the data holds whole, comma and all, is that one column.
    assert choose_columns(Layout(columns=("a,b", "label")), where="D", text="a,b").text == "a,b"


def test_the_columns_a_model_joined_are_found_again_where_all_are_there():
    """predict and eval of a file find the trained columns first (text_first): joined where the file
    holds every one, else the usual names, which the caller's note then explains."""
    trained = ("title,body",)
    both = Layout(columns=("id", "body", "title"))
    assert (
        choose_columns(both, where="D", text=None, with_label=False, text_first=trained).text == "title,body"
    )
    alone = choose_columns(
        Layout(columns=("id", "title")), where="D", text=None, with_label=False, text_first=trained
    )
    assert alone.text == "title"


def test_a_label_column_not_found_is_never_pointed_at_the_text_column():
    """--label-column target beside text and label was told "closest: 'text'" (a Kaggle trial)."""
    layout = Layout(columns=("id", "text", "label"))
    with pytest.raises(DataError, match=r"'target' not found \(the label column found by name: 'label'\)"):
        choose_columns(layout, where="D", text=None, label="target")
    with pytest.raises(DataError, match=r"'labl' not found \(closest: 'label'\)"):
        choose_columns(layout, where="D", text=None, label="labl")
    with pytest.raises(DataError, match=r"'txt' not found \(closest: 'text'\)"):
        choose_columns(layout, where="D", text="txt")


def test_joined_text_columns_found_loosely_and_never_taken_for_the_label():
    # The columns a model joined, in another export's case: found as a named column is.
    again = choose_columns(
        Layout(columns=("Title", "Body")), where="D", text=None, with_label=False, text_first=("title,body",)
    )
    assert again.text == "Title,Body"
    # Label detection passes over the columns the text joins (it blamed the user for naming one).
    with pytest.raises(DataError, match="no label column found"):
        choose_columns(Layout(columns=("text", "category")), where="D", text="text,category")


def test_the_note_for_joined_columns_read_in_another_case_says_so():
    from attncli.columns import other_than_trained_note

    assert other_than_trained_note("D", "Title,Description", trained="title,description", named=None) == (
        "D: using text columns 'Title,Description', those the model was trained on joined, but for case, "
        "accents or spaces"
    )
    assert "has not every one of the columns" in str(
        other_than_trained_note("D", "title", trained="title,description", named=None)
    )


def test_a_text_column_chosen_by_a_word_names_the_others_a_word_could_choose():
    """A teacher's sheet: `Teacher Comment` was taken as the text (`comment` comes before `answer`
    among the names), and nothing named `Student Answer`, the answers (a trial)."""
    layout = Layout(columns=("Student Name", "Question", "Student Answer", "Score", "Teacher Comment"))
    chosen = choose_columns(layout, where="sheet.csv", text=None, label=None)
    assert chosen.text == "Teacher Comment" and chosen.note is not None
    assert "'Question' and 'Student Answer' are not read" in chosen.note
    # A column about the text, or of codes, is none of them.
    assert choose_columns(Layout(columns=("review_id", "review_body", "stars")), where="d", text=None,
                          label=None).note == (
        "d: using text column 'review_body' and label column 'stars', chosen by name (--text-column and "
        "--label-column choose others)"
    )  # fmt: skip
    # Nor one whose name only begins with a text's word: who wrote a message, or a text's other form.
    for others in (("message_author", "message_status", "message_score"), ("text_raw",)):
        columns = ("message_body" if others[0].startswith("message") else "text_clean", *others, "category")
        note = choose_columns(Layout(columns=columns), where="d", text=None, label=None).note
        assert note is None or "not read" not in note, note
    numbered = Layout(columns=("Teacher Comment", "Answer 1", "answer_2", "grade"))
    assert "'Answer 1' and 'answer_2' are not read" in str(
        choose_columns(numbered, where="d", text=None, label=None).note
    )


def test_no_text_column_found_names_the_trained_columns_the_data_lacks():
    """A translation memory's export without its `locale` was told only its own columns, not that the
    model joins `source_en,target,locale` (a localisation trial)."""
    layout = Layout(columns=("key", "source_en", "target"))
    with pytest.raises(DataError) as joined:
        choose_columns(
            layout, where="x", text=None, with_label=False, text_first=("source_en,target,locale",)
        )
    assert str(joined.value) == (
        "no text column found (pass --text-column to name one); the model was trained on the columns "
        "'source_en,target,locale' joined, and 'locale' is not here; x has columns 'key', 'source_en', "
        "'target'"
    )
    with pytest.raises(DataError, match="the model was trained on column 'Body', which is not here; x has"):
        choose_columns(
            Layout(columns=("key", "n")), where="x", text=None, with_label=False, text_first=("Body",)
        )
