"""What is wrong with a request's values is said in the caller's language (es-MX by default), from the
catalogue, never in pydantic's English and never repeating the value sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

import httpx
import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from tests.referral.factories import visit_body

from interop.messages import ENGLISH, SPANISH, text
from interop.messages.validation import describe

Headers = Callable[..., dict[str, str]]

# Pydantic's own words: none of them may reach a Spanish answer.
_PYDANTIC_ENGLISH = ("Field required", "String should", "Input should", "Value error", "needs a LOINC")


def _bad_visit() -> dict[str, Any]:
    body = visit_body("V-VALIDATION-WORDS")
    del body["health_worker_id"]
    body["person"]["nombre"] = "N" * 250  # past the 200-character limit
    body["visit_date"] = "ayer"
    body["findings"]["observations"] = [{"value": 5.0}]  # neither a LOINC code nor a text
    body["urgency"] = "whenever"
    return body


def _messages(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    errors = response.json()["error"]["details"]["errors"]
    return {".".join(str(p) for p in e["loc"][1:]): e["msg"] for e in errors}


async def test_a_refused_visit_says_what_is_wrong_in_spanish_by_default(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    response = await client.post("/v1/visits", json=_bad_visit(), headers=auth_headers("bienestar"))
    said = _messages(response)
    assert said["health_worker_id"] == "falta este campo"
    assert said["person.nombre"] == "debe tener a lo más 200 caracteres"
    assert said["visit_date"] == "debe ser una fecha AAAA-MM-DD"
    assert said["findings.observations.0"] == "una observación necesita un código LOINC o un texto"
    assert said["urgency"].startswith("debe ser uno de: ")
    assert " o " in said["urgency"]
    for phrase in _PYDANTIC_ENGLISH:
        assert phrase not in response.text
    assert "N" * 250 not in response.text  # the value sent is never echoed


async def test_a_refused_visit_says_what_is_wrong_in_english_when_asked(
    client: httpx.AsyncClient, auth_headers: Headers
) -> None:
    headers = {**auth_headers("bienestar"), "Accept-Language": "en"}
    said = _messages(await client.post("/v1/visits", json=_bad_visit(), headers=headers))
    assert said["health_worker_id"] == "this field is required"
    assert said["person.nombre"] == "must have at most 200 characters"
    assert said["findings.observations.0"] == "an observation needs a LOINC code or a text"
    assert said["urgency"].startswith("must be one of: ")


class _Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=3)
    code: str = Field(min_length=2, pattern=r"^[A-Z]+$")
    count: int = Field(gt=0, le=10)
    ratio: float
    flag: bool
    day: date
    moment: AwareDatetime
    naive: datetime
    kind: Literal["a", "b"]
    items: list[int] = Field(max_length=2)
    nested: dict[str, int]


_BAD = {
    "name": "abcd",
    "code": "a",
    "count": "x",
    "ratio": "y",
    "flag": "maybe",
    "day": "2026-13-40",
    "moment": "2026-01-01T00:00:00",
    "naive": "noon",
    "kind": "c",
    "items": [1, 2, 3],
    "nested": [],
    "other": 1,
}


def _errors(values: dict[str, Any]) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate(values)
    return caught.value.errors()


@pytest.mark.parametrize("lang", [SPANISH, ENGLISH])
def test_the_usual_pydantic_errors_each_have_words_in_both_languages(lang: str) -> None:
    # Fails when a pydantic release renames an error type the service's schemas produce.
    unknown_prefix = text("validation.unknown", lang, kind="").split("(")[0]
    errors = _errors(_BAD) + _errors({**_BAD, "count": 0, "code": "ab1"}) + _errors({})
    assert len(errors) > 20
    for error in errors:
        said = describe(error, lang)
        assert not said.startswith(unknown_prefix), (error["type"], said)
        assert "{" not in said, said


def test_limits_come_from_the_rule_and_an_unknown_type_still_speaks_the_language() -> None:
    too_long = next(e for e in _errors(_BAD) if e["loc"] == ("name",))
    assert describe(too_long, SPANISH) == "debe tener a lo más 3 caracteres"
    assert describe(too_long, ENGLISH) == "must have at most 3 characters"
    made_up = {"type": "brand_new_rule", "loc": ("x",), "msg": "Something English", "ctx": {}}
    assert describe(made_up, SPANISH) == "valor inválido (brand_new_rule)"
    assert describe(made_up, ENGLISH) == "invalid value (brand_new_rule)"
