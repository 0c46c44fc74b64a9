"""The OpenAPI document names each operation's error answers and who may call it."""

import pytest

PROBLEM_REF = "#/components/schemas/Problem"
MEDIATION_WRITE = {400, 401, 403, 404, 409, 413, 422, 503}
MEDIATION_RECORDS = {
    ("get", "/mediation/experts"): {401, 403, 422, 503},
    ("post", "/mediation/experts"): {400, 401, 403, 409, 413, 422, 503},
    ("post", "/mediation/cases/{case_id}/experts"): MEDIATION_WRITE,
    ("post", "/mediation/cases/{case_id}/fulfilment"): MEDIATION_WRITE,
    ("put", "/mediation/cases/{case_id}/model"): MEDIATION_WRITE,
    ("delete", "/mediation/cases/{case_id}/model"): {401, 403, 404, 422, 503},
    ("post", "/mediation/cases/{case_id}/assessments"): MEDIATION_WRITE,
    ("get", "/mediation/quality"): {401, 403, 503},
    ("get", "/mediation/materials"): {401, 403, 422, 503},
    ("post", "/mediation/materials"): {400, 401, 403, 409, 413, 422, 503},
    ("get", "/mediation/registry"): {401, 403, 422, 503},
}
"""The mediation platform's records after registration (api/routes/mediation_records.py)."""
SIGNED_IN = {
    ("get", "/auth/me"), ("get", "/locate"), ("post", "/incidents"), ("get", "/incidents"),
    ("get", "/incidents/{incident_id}"), ("post", "/incidents/{incident_id}/transitions"),
    ("post", "/supervision"), ("get", "/supervision/notices"), ("get", "/statistics"),
    ("get", "/statistics/charts"),
    ("post", "/incidents/{incident_id}/attachments"),
    ("get", "/incidents/{incident_id}/attachments"),
    ("get", "/attachments/{attachment_id}"), ("get", "/attachments/{attachment_id}/thumbnail"),
    ("get", "/sensors"), ("post", "/sensors/maintenance-sweep"), ("get", "/emergencies"),
    ("post", "/patrols"), ("post", "/patrols/gpx"), ("get", "/patrols"),
    ("get", "/patrols/compliance"), ("get", "/patrols/{patrol_id}"), ("get", "/patrols/route"),
    *{(m, f"/baseinfo{p}") for m, p in (
        ("get", "/statistics"), ("get", "/export.xlsx"), ("get", "/tasks"), ("post", "/visits"),
        ("get", "/duplicates"), ("get", "/{kind}"), ("post", "/{kind}"),
        ("get", "/{kind}/{record_id}"), ("patch", "/{kind}/{record_id}"),
        ("post", "/{kind}/{record_id}/cancel"))},
    ("get", "/export/incidents"),
    ("get", "/mediation/similar"), ("get", "/mediation/cases/{case_id}"),
    ("get", "/mediation/warnings"), ("post", "/mediation/cases"),
    ("post", "/mediation/cases/{case_id}/sessions"), ("post", "/mediation/cases/{case_id}/outcome"),
    *MEDIATION_RECORDS,
    ("post", "/events/ticket"),
}
"""Operations for signed-in staff only."""
STREAM_TICKET = {("get", "/events/stream")}
"""Operations opened with a stream ticket of POST /events/ticket in the query (EventSource)."""
NOT_DISCLOSED = {("get", "/attachments/{attachment_id}"),
                 ("get", "/attachments/{attachment_id}/thumbnail"),
                 ("get", "/mediation/similar"), ("get", "/mediation/cases/{case_id}")}
"""Operations answering 404, not 403, outside one's jurisdiction (existence not disclosed)."""
SENSOR_KEY = {("post", "/sensors/{device_id}/alarms"), ("post", "/sensors/{device_id}/heartbeat")}
"""Operations of the sensor gateway, with the sensor channel's key (X-Api-Key), no sign-in."""
SIGN_IN_OPTIONAL = {
    ("get", "/collections"), ("get", "/collections/{collection_id}"),
    ("get", "/collections/{collection_id}/queryables"),
    ("get", "/collections/{collection_id}/items"),
    ("get", "/collections/{collection_id}/items/{feature_id}"),
    ("get", "/open311/v2/requests.json"), ("get", "/open311/v2/requests/{request_id}.json"),
}
"""Operations anyone may call, reading a token when one is sent (401 when it is bad)."""
ERRORS = {
    ("post", "/auth/token"): {400, 401, 413, 422, 429, 503},
    ("get", "/auth/me"): {401, 503},
    ("get", "/locate"): {401, 422, 503},
    ("post", "/incidents"): {400, 401, 403, 413, 422, 503},
    ("get", "/incidents"): {401, 403, 422, 503},
    ("get", "/incidents/{incident_id}"): {401, 403, 404, 503},
    ("post", "/incidents/{incident_id}/transitions"): {400, 401, 403, 404, 409, 413, 422, 503},
    ("post", "/supervision"): {401, 403, 503},
    ("get", "/supervision/notices"): {401, 422, 503},
    ("post", "/incidents/{incident_id}/attachments"): {400, 401, 403, 404, 413, 415, 422, 503},
    ("get", "/incidents/{incident_id}/attachments"): {401, 403, 404, 503},
    ("get", "/attachments/{attachment_id}"): {401, 404, 503},
    ("get", "/attachments/{attachment_id}/thumbnail"): {401, 404, 503},
    ("get", "/statistics"): {401, 422, 503},
    ("get", "/collections"): {401, 503},
    ("get", "/collections/{collection_id}"): {401, 404, 503},
    ("get", "/collections/{collection_id}/queryables"): {401, 404, 503},
    ("get", "/collections/{collection_id}/items"): {400, 401, 404, 503},
    ("get", "/collections/{collection_id}/items/{feature_id}"): {401, 404, 503},
    ("post", "/open311/v2/requests.json"): {400, 403, 413, 429, 503},
    ("get", "/open311/v2/requests.json"): {400, 401, 422, 503},
    ("get", "/open311/v2/requests/{request_id}.json"): {401, 403, 404, 503},
    ("get", "/health"): {503},
    ("post", "/sensors/{device_id}/alarms"): {400, 403, 404, 413, 422, 503},
    ("post", "/sensors/{device_id}/heartbeat"): {400, 403, 404, 413, 422, 503},
    ("get", "/sensors"): {401, 422, 503},
    ("post", "/sensors/maintenance-sweep"): {401, 403, 503},
    ("post", "/patrols"): {400, 401, 403, 413, 422, 503},
    ("post", "/patrols/gpx"): {400, 401, 403, 413, 422, 503},
    ("get", "/patrols"): {401, 403, 422, 503},
    ("get", "/patrols/compliance"): {401, 403, 422, 503},
    ("get", "/patrols/{patrol_id}"): {401, 403, 404, 503},
    ("get", "/patrols/route"): {401, 403, 404, 422, 503},
    ("get", "/mediation/similar"): {401, 404, 422, 503},
    ("get", "/mediation/cases/{case_id}"): {401, 404, 422, 503},
    ("get", "/mediation/warnings"): {401, 422, 503},
    ("post", "/mediation/cases"): {400, 401, 403, 404, 413, 422, 503},
    ("post", "/mediation/cases/{case_id}/sessions"): {400, 401, 403, 404, 409, 413, 422, 503},
    ("post", "/mediation/cases/{case_id}/outcome"): {400, 401, 403, 404, 409, 413, 422, 503},
    ("get", "/emergencies"): {401, 403, 422, 503},
    ("get", "/tiles/{z}/{x}/{y}.mvt"): {404, 422},  # public: the basemap holds nothing personal
    **MEDIATION_RECORDS,
    ("post", "/events/ticket"): {401, 503},
    ("get", "/events/stream"): {401, 422, 503},
}
"""Error statuses each operation can answer (at least)."""
OPEN311_ERRORS = {("post", "/open311/v2/requests.json"): {400, 403},
                  ("get", "/open311/v2/requests.json"): {400},
                  ("get", "/open311/v2/requests/{request_id}.json"): {403, 404}}
"""Those answered as a GeoReport v2 error list rather than problem+json."""


@pytest.fixture
def document(anonymous):
    return anonymous.get("/openapi.json").json()


def _operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield (method, path), operation


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_each_operation_documents_its_errors(document, key):
    method, path = key
    answers = document["paths"][path][method]["responses"]
    documented = {int(s) for s in answers if s.startswith(("4", "5"))}
    assert ERRORS[key] <= documented, f"{key} lost {sorted(ERRORS[key] - documented)}"
    for status in documented:
        content = answers[str(status)]["content"]
        if status in OPEN311_ERRORS.get(key, ()):
            items = content["application/json"]["schema"]["items"]
            assert items["$ref"] == "#/components/schemas/Open311Error"
        else:
            assert list(content) == ["application/problem+json"], (key, status)
            assert content["application/problem+json"]["schema"]["$ref"] == PROBLEM_REF
    if 401 in documented:
        assert answers["401"]["headers"]["WWW-Authenticate"]["required"]
    for status in {429, 503} & documented:
        assert answers[str(status)]["headers"]["Retry-After"]["required"]


def test_sign_in_is_documented_where_it_is_needed(document):
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/auth/token"
    for key, operation in _operations(document):
        security = operation.get("security")
        if key in SIGNED_IN:
            assert security == [{"OAuth2PasswordBearer": []}], key
            assert {"401", "503"} <= set(operation["responses"]), key
        elif key in SIGN_IN_OPTIONAL:
            assert security == [{"OAuth2PasswordBearer": []}, {}], key
            assert "401" in operation["responses"], key
        elif key in STREAM_TICKET:
            assert security == [{"StreamTicket": []}], key
            assert "401" in operation["responses"], key
        elif key in SENSOR_KEY:
            assert security == [{"SensorKey": []}], key
            assert "403" in operation["responses"] and "401" not in operation["responses"], key
        elif key != ("post", "/auth/token"):  # its 401: a wrong staff id or password
            assert security is None, key
            assert "401" not in operation["responses"], key


def test_refusals_are_documented_on_every_guarded_operation(document):
    # one's own notices, devices and statistics are never refused: a person reads their own
    for key in SIGNED_IN - {("get", "/auth/me"), ("get", "/locate"),
                            ("get", "/supervision/notices"), ("get", "/sensors"),
                            ("get", "/statistics"), ("get", "/statistics/charts"),
                            ("get", "/export/incidents"),
                            ("get", "/mediation/warnings"), ("post", "/events/ticket")
                            } - NOT_DISCLOSED:
        method, path = key
        assert "403" in document["paths"][path][method]["responses"], key
    for method, path in NOT_DISCLOSED:
        assert "403" not in document["paths"][path][method]["responses"]


def test_the_problem_body_is_described(document):
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "field",
                                          "errors", "instance"}
    assert set(problem["required"]) == {"title", "status", "detail"}
    assert set(schemas["ProblemField"]["required"]) == {"field", "reason"}
    assert set(schemas["Open311Error"]["required"]) == {"code", "description"}
    # FastAPI's own 422 body (application/json) is not what the service answers
    assert "HTTPValidationError" not in schemas
    for key, operation in _operations(document):
        if "422" in operation["responses"]:
            assert list(operation["responses"]["422"]["content"]) == \
                ["application/problem+json"], key


def test_the_open311_intake_body_is_documented(document):
    body = document["paths"]["/open311/v2/requests.json"]["post"]["requestBody"]
    assert body["required"]
    assert set(body["content"]) == {"application/x-www-form-urlencoded", "application/json",
                                    "multipart/form-data"}
    for media in body["content"]:
        schema = body["content"][media]["schema"]
        assert {"api_key", "service_code", "lat", "long", "description"} <= \
            set(schema["required"])
    photo = body["content"]["multipart/form-data"]["schema"]["properties"]["media"]
    assert "binary" in str(photo)


def test_the_landing_page_documents_html_and_json(document):
    content = document["paths"]["/"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/html"}
