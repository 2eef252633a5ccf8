from attncli.label_warnings import joined_labels_warning


def test_labels_that_are_other_labels_joined_are_warned_of():
    labels = ["money", "sport", "tech", "money,sport", "sport, money", "tech|sport"]
    said, piped = joined_labels_warning(labels)
    assert piped.startswith("warning: label 'tech|sport' looks like several labels joined with '|'")
    assert said == (
        "warning: labels 'money,sport', 'sport, money' look like several labels joined with ',': attn gives "
        "each text one label, so each combination trains as a class of its own ('money,sport' apart from "
        "'sport, money') (multi-label data is not supported yet); give each text one label"
    )
    (said,) = joined_labels_warning(["Sport", "Money", "sport|money"])  # its parts labels, in any case
    assert said == (
        "warning: label 'sport|money' looks like several labels joined with '|': attn gives each text one "
        "label, so each combination trains as a class of its own (multi-label data is not supported yet); "
        "give each text one label"
    )
    # Numeric ids of a multi-label export (GoEmotions' "0,6"): only two numbers joined by a comma may
    # be a decimal; each joiner with evidence has a line of its own.
    said = joined_labels_warning(["0", "3", "6", "15", "27", "0,6", "3,27,15", "6|27", "Arts, Culture"])
    assert [line.split(" look")[0] for line in said] == [
        "warning: label '3,27,15'",
        "warning: label '6|27'",
    ]
    many = [f"tag{n}" for n in range(6)] + [f"tag{n};tag{n + 1}" for n in range(5)]
    (said,) = joined_labels_warning(many)
    assert said.startswith("warning: labels 'tag0;tag1', 'tag1;tag2', 'tag2;tag3' and 2 more look like ")


def test_every_text_with_several_labels_is_told_by_the_orders_alone():
    """No part is a label alone where every text has two, but the same parts in another order give
    the sets away; a combination spelled two ways is one order, not two."""
    (said,) = joined_labels_warning(["a;b", "b;a", "c;d"])
    assert said.startswith("warning: labels 'a;b', 'b;a' look like several labels joined with ';'")
    assert "('a;b' apart from 'b;a')" in said
    assert joined_labels_warning(["Sport,Money", "sport,money", "World"]) == []
    assert joined_labels_warning(["Arts, Culture", "Arts,Culture", "World"]) == []


def test_names_with_a_joiner_of_their_own_are_not_taken_for_joined_labels():
    # A comma in a name, beside one of its parts or not; a hierarchy whose leaves are no labels; a
    # class named with a slash; ratings with a decimal comma, in either order; an empty part.
    assert joined_labels_warning(["Arts, Culture", "Science, Tech", "World"]) == []
    assert joined_labels_warning(["Arts, Culture", "Arts", "World"]) == []
    (said,) = joined_labels_warning(["Arts, Culture", "Arts", "Culture"])  # beside both of its parts
    assert said.startswith("warning: label 'Arts, Culture' looks like several labels joined with ','")
    assert joined_labels_warning(["Electronics", "Electronics|Phones", "Electronics|Laptops"]) == []
    assert joined_labels_warning(["World", "Sports", "Business", "Sci/Tech", "Sci", "Tech"]) == []
    assert joined_labels_warning(["1", "1,5", "2", "2,5", "3", "5"]) == []
    assert joined_labels_warning(["1,5", "5,1", "2"]) == []
    assert joined_labels_warning(["a,", ",a", "a"]) == []
