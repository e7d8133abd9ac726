"""Claims as data: the ``asserts:`` / ``kind:`` format, its checks, its graphs and the disagreements.

The checks break a private copy of the real data the way a curator might and read the messages;
the mapping and disagreement tests put the three motivating cases of issue #12 into that copy
(the CSTO request's date, the airport recapture's agent, the confession man's identity) and
compare the graphs the build writes with the expected triples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kzkg.pipeline import validate


def set_claim(data: Path, article: str, claim_id: str, **keys: Any) -> None:
    """Give one claim of an annotation file new keys (None removes a key)."""
    path = data / "annotations" / f"{article}.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    for claim in content["claims"]:
        if claim["id"] == claim_id:
            for key, value in keys.items():
                if value is None:
                    claim.pop(key, None)
                else:
                    claim[key] = value
            break
    else:
        raise AssertionError(f"{claim_id} is not in {path}")
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(data: Path) -> list[str]:
    return validate(data).lines()


CSTO = "csto-request"


def test_well_formed_assertions_validate_clean(data_copy: Path) -> None:
    set_claim(data_copy, "000", "000-author-csto-call-jan-5",
              asserts=[{"subject": CSTO, "property": "startDate", "value": "2022-01-05"}])
    set_claim(data_copy, "004", "004-authors-tokayev-csto-request",
              asserts=[{"subject": CSTO, "property": "dateText", "value": "on the night of 6 January"},
                       {"subject": CSTO, "property": "agent", "value": "tokayev"},
                       {"subject": CSTO, "property": "eventType", "value": "RequestForAssistance"},
                       {"subject": "bloody-january", "property": "quantity", "kind": "Deaths", "value": 164,
                        "qualifier": "about", "as_of": "2022-01-09", "unit": "people",
                        "population": "kazakh-police"}])
    set_claim(data_copy, "000", "000-author-impossible-to-verify", kind="opinion")
    assert problems(data_copy) == []


def test_each_mistake_is_named_with_file_entry_and_statement(data_copy: Path) -> None:
    set_claim(data_copy, "004", "004-authors-tokayev-csto-request", asserts=[
        {"subject": CSTO, "property": "startDate", "value": "6 January"},
        {"subject": "csto-requestx", "property": "agent", "value": "tokayev"},
        {"subject": CSTO, "property": "place", "value": "tokayev"},
        {"subject": CSTO, "property": "quantity", "value": 5, "kind": "Deathz"},
        {"subject": "tokayev", "property": "identifiedAs", "value": CSTO},
        {"subject": CSTO, "property": "eventType", "value": "Lootin"},
        {"subject": CSTO, "property": "date", "value": "2022-01-05"},
        {"subject": CSTO, "property": "agent", "value": "almaty"},
        {"subject": CSTO, "property": "quantity", "value": "five", "kind": "Deaths", "as_of": "soon"},
        {"subject": CSTO, "property": "startDate", "value": "2022-01-05", "kind": "Deaths"},
        {"subject": CSTO, "property": "agent"},
    ])
    set_claim(data_copy, "000", "000-author-impossible-to-verify", kind="opinionated")
    set_claim(data_copy, "000", "000-author-csto-call-jan-5", kind="opinion",
              asserts=[{"subject": CSTO, "property": "startDate", "value": "2022-01-05"}])
    where = "data/annotations/004.yaml: claim 004-authors-tokayev-csto-request: 'asserts' "
    expected = {
        where + "#1 (csto-request startDate): value '6 January' is not a date (YYYY-MM-DD); keep a vague date as dateText",
        where + "#2 (csto-requestx agent): subject 'csto-requestx' is not an event",
        where + "#3 (csto-request place): value 'tokayev' is a Person, expected Place",
        where + "#5 (tokayev identifiedAs): value 'csto-request' is not in the entity registry (it is an event)",
        where + "#8 (csto-request agent): value 'almaty' is a Place, expected Person or Organization or MediaOutlet or Group",
        where + "#11: missing 'value'",
        "data/annotations/000.yaml: claim 000-author-impossible-to-verify: 'kind': 'opinionated' is not one of "
        "factual, opinion, prediction",
        "data/annotations/000.yaml: claim 000-author-csto-call-jan-5: 'asserts': a claim of kind 'opinion' asserts no "
        "checkable fact; drop 'asserts' or the kind",
    }
    found = problems(data_copy)
    assert expected <= set(found), sorted(set(found) - expected)
    prefixes = {
        "#4 (csto-request quantity): kind 'Deathz' is not one of Deaths,",
        "#6 (csto-request eventType): value 'Lootin' is not an event type",
        "#7: property 'date' is not one of eventType, startDate",
        "#9 (csto-request quantity): value 'five' is not a number",
        "#9 (csto-request quantity): as_of 'soon' is not a date",
        "#10: kind only apply to property 'quantity'",
    }
    for prefix in prefixes:
        assert any(line.startswith(where + prefix) for line in found), (prefix, found)
    assert len(found) == len(expected) + len(prefixes), found
