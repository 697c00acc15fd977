"""The six forms as data: ids the rest of the system relies on, and checks on the data."""

from __future__ import annotations

import pytest

from forms.definition import (
    CHOICE_TYPES,
    FIELD_TYPES,
    FORM_IDS,
    all_forms,
    build_definition,
    get_form,
    label_key,
)
from forms.errors import DefinitionError, UnknownFormError

# Field ids that case rules and integrations rely on (issue 2), with their types.
STABLE_IDS = {
    "registration": {
        "customer": "text",
        "product": "text",
        "category": "choice",
        "description": "multiline",
        "customer_requirement": "multichoice",
        "goods_received_date": "date",
        "complaint_date": "date",
        "established": "yesno",
        "responsible_department": "choice",
        "containment_needed": "yesno",
        "supervisor_override": "text",
    },
    "return_form": {"hosts": "integer", "accessories": "integer"},
    "return_tracking": {"shipped_back_date": "date", "deduction_decision": "choice"},
    "contract_review": {"sets": "integer", "decision": "choice"},
    "capa": {
        "actions": "table",
        "verification": "multiline",
        "plan_approved_by": "text",
        "plan_approved_date": "date",
    },
    "satisfaction_survey": {"customer_accepts": "yesno"},
}


def test_six_forms_in_loop_order() -> None:
    assert list(all_forms()) == list(FORM_IDS) == list(STABLE_IDS)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_stable_field_ids_exist_with_their_types(form_id: str) -> None:
    form = get_form(form_id)
    assert {fid: form.field(fid).type for fid in STABLE_IDS[form_id]} == STABLE_IDS[form_id]


def test_choices_the_case_rules_need() -> None:
    reg = get_form("registration")
    assert [c.id for c in reg.field("category").choices] == [
        "quality",
        "quantity",
        "tolerance",
        "transport_damage",
        "installation_technical",
        "special_requirement",
        "other",
    ]
    assert [c.id for c in reg.field("customer_requirement").choices] == [
        "return",
        "exchange",
        "repair",
        "discount",
        "compensation",
        "explanation",
    ]
    assert {c.id for c in get_form("capa").field("actions").columns} >= {
        "action",
        "owner",
        "due",
        "done",
    }
    responsibility = get_form("capa").field("responsibility_type")
    assert [c.id for c in responsibility.choices] == [
        "own_controllable",
        "uncontrollable",
        "customer",
        "undetermined",
    ]
    assert {c.id for c in get_form("capa").field("handling_plan").choices} == {
        "return",
        "exchange",
        "repair",
        "discount",
        "compensation",
    }
    columns = {c.id: c.type for c in get_form("return_tracking").field("replaced_items").columns}
    assert columns["quantity"] == "integer" and columns["unit_price"] == "decimal"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_field_is_well_formed(form_id: str) -> None:
    form = get_form(form_id)
    labels = [label_key(f.label) for f in form.fields]
    assert len(labels) == len(set(labels))
    for f in form.fields:
        assert f.type in FIELD_TYPES
        assert bool(f.choices) == (f.type in CHOICE_TYPES)
        assert bool(f.columns) == (f.type == "table")
        for c in f.choices:
            assert not set(",;\n") & set(c.label), "a choice label cannot hold a list separator"


def test_describe_has_the_documented_shape() -> None:
    d = get_form("capa").describe()
    assert list(d) == ["id", "title", "version", "fields"]
    actions = next(f for f in d["fields"] if f["id"] == "actions")
    assert actions["type"] == "table"
    assert [c["id"] for c in actions["columns"]] == ["action", "owner", "due", "done"]
    assert set(actions["columns"][0]) >= {"id", "label", "type", "required"}
    category = next(
        f for f in get_form("registration").describe()["fields"] if f["id"] == "category"
    )
    assert category["choices"][3] == "transport_damage"


def test_choices_accept_ids_labels_and_aliases() -> None:
    category = get_form("registration").field("category")
    for typed in ("transport_damage", "Transport damage", "TRANSPORT-DAMAGE", "transport"):
        choice = category.choice(typed)
        assert choice is not None and choice.id == "transport_damage"
    assert category.choice("colour") is None


def test_unknown_form_names_the_forms() -> None:
    with pytest.raises(
        UnknownFormError, match="there is no form 'complaint'; the forms are: registration, "
    ):
        get_form("complaint")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {
                "id": "x",
                "title": "X",
                "version": "1",
                "sections": [
                    {"title": "S", "fields": [{"id": "a", "label": "A", "type": "colour"}]}
                ],
            },
            "x.toml field 'a': type 'colour' is not one of",
        ),
        (
            {
                "id": "x",
                "title": "X",
                "version": "1",
                "sections": [
                    {
                        "title": "S",
                        "fields": [
                            {"id": "a", "label": "A", "type": "text"},
                            {"id": "b", "label": "a:", "type": "text"},
                        ],
                    }
                ],
            },
            "x.toml: field label 'a' appears twice",
        ),
        (
            {
                "id": "x",
                "title": "X",
                "version": "1",
                "sections": [
                    {
                        "title": "S",
                        "fields": [{"id": "a", "label": "A", "type": "choice", "choices": "nope"}],
                    }
                ],
            },
            "shared choice list 'nope' is not defined",
        ),
        (
            {
                "id": "x",
                "title": "X",
                "version": "1",
                "sections": [
                    {"title": "S", "fields": [{"id": "a", "label": "A", "type": "table"}]}
                ],
            },
            "a table needs columns",
        ),
        ({"id": "x", "title": "X", "sections": []}, "x.toml: missing 'version'"),
    ],
)
def test_definition_mistakes_are_named(raw: dict[str, object], message: str) -> None:
    with pytest.raises(DefinitionError) as exc:
        build_definition(raw, {}, "x.toml")
    assert message in str(exc.value)
