"""One walk over marshmallow's nested messages, for every place that reports them."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from decision_core.catalogue.messages import dotted, indexed, walk


class Item(Schema):
    reps = fields.Integer(required=True)


class Doc(Schema):
    name = fields.String(required=True)
    items = fields.List(fields.Nested(Item))
    labels = fields.Dict(keys=fields.String(validate=validate.Regexp("^[a-z]+$", error="lower case only")), values=fields.Integer())


def messages_of(data):
    try:
        Doc().load(data)
    except ValidationError as exc:
        return exc.messages
    raise AssertionError("expected errors")


def test_paths_through_nested_lists_and_dict_fields():
    found = sorted(walk(messages_of({"items": [{"reps": 1}, {}], "labels": {"Bad": "x"}, "extra": 1})))
    assert found == [
        (("extra",), "Unknown field."),
        (("items", 1, "reps"), "Missing data for required field."),
        (("labels", "Bad"), "Not a valid integer."),
        (("labels", "Bad"), "lower case only"),
        (("name",), "Missing data for required field."),
    ]


def test_a_message_about_the_whole_document_has_no_path():
    assert list(walk({"_schema": ["Invalid input type."]})) == [(("_schema",), "Invalid input type.")]
    assert list(walk(["whole"])) == [((), "whole")]


def test_the_two_ways_to_write_a_path():
    assert dotted(("facts", 0, "values")) == "facts.0.values"
    assert indexed(("sports", 0)) == "sports[0]" and indexed((0, "x")) == "[0].x" and indexed(()) == ""
