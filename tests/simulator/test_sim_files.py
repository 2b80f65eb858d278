"""Files API: batch input validation on upload, retrieval, content and deletion."""

from __future__ import annotations

import json

import openai
import pytest
from sim_helpers import batch_jsonl, batch_line

from floridify_gui.simulator.files import MAX_BATCH_LINES


def _upload_error(client, content: bytes, purpose: str = "batch") -> str:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("input.jsonl", content), purpose=purpose)
    return caught.value.body["message"]


def _line_with(custom_id: str, **changes) -> str:
    request = json.loads(batch_line(custom_id, "word"))
    for key, value in changes.items():
        request[key] = value
    return json.dumps(request)


def test_upload_returns_file_object(client):
    content = batch_jsonl(3)

    uploaded = client.files.create(file=("words.jsonl", content), purpose="batch")

    assert uploaded.id.startswith("file-")
    assert uploaded.filename == "words.jsonl"
    assert uploaded.bytes == len(content)
    assert uploaded.purpose == "batch"
    assert uploaded.status == "processed"


def test_upload_from_path(client, tmp_path):
    path = tmp_path / "input.jsonl"
    path.write_bytes(batch_jsonl(2))

    uploaded = client.files.create(file=path, purpose="batch")

    assert client.files.content(uploaded.id).content == path.read_bytes()


def test_file_content_is_byte_exact(client):
    content = (batch_line("a", "naïve café") + "\r\n" + batch_line("b", "日本") + "\n").encode()

    uploaded = client.files.create(file=("input.jsonl", content), purpose="batch")

    assert client.files.content(uploaded.id).content == content


def test_retrieve_file(client):
    uploaded = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")

    retrieved = client.files.retrieve(uploaded.id)

    assert retrieved == uploaded


def test_delete_file_then_not_found(client):
    uploaded = client.files.create(file=("input.jsonl", batch_jsonl(1)), purpose="batch")

    deleted = client.files.delete(uploaded.id)

    assert deleted.deleted is True
    assert deleted.id == uploaded.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)


def test_list_files_newest_first(client):
    first = client.files.create(file=("a.jsonl", batch_jsonl(1)), purpose="batch")
    second = client.files.create(file=("b.jsonl", batch_jsonl(1)), purpose="batch")

    ids = [item.id for item in client.files.list()]

    assert ids == [second.id, first.id]


def test_upload_rejects_duplicate_custom_id(client):
    content = (batch_line("same", "a") + "\n" + batch_line("same", "b")).encode()

    message = _upload_error(client, content)

    assert "line 2" in message
    assert "'same'" in message


def test_upload_rejects_bad_json_line(client):
    content = (batch_line("a", "a") + "\n" + '{"custom_id": "b",' + "\n").encode()

    message = _upload_error(client, content)

    assert "line 2 is not valid JSON" in message


def test_upload_rejects_wrong_url(client):
    content = (batch_line("a", "a") + "\n" + _line_with("b", url="/v1/embeddings")).encode()

    message = _upload_error(client, content)

    assert "line 2" in message
    assert "/v1/embeddings" in message


def test_upload_rejects_two_models(client):
    content = (batch_line("a", "a") + "\n" + batch_line("b", "b", model="gpt-4o")).encode()

    message = _upload_error(client, content)

    assert "line 2" in message
    assert "only one model" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (_line_with("a", method="GET"), "method 'GET'"),
        (_line_with("a", body={"messages": []}), "'model'"),
        (_line_with("", body={"model": "gpt-4o-mini"}), "custom_id"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_upload_rejects_invalid_request_line(client, line, expected):
    message = _upload_error(client, line.encode())

    assert "line 1" in message
    assert expected in message


def test_upload_rejects_byte_order_mark(client):
    message = _upload_error(client, b"\xef\xbb\xbf" + batch_jsonl(1))

    assert "byte order mark" in message


def test_upload_rejects_invalid_utf8(client):
    content = batch_jsonl(2) + b'{"custom_id": "\xff"}\n'

    message = _upload_error(client, content)

    assert "line 3 is not valid UTF-8" in message


def test_upload_rejects_empty_file(client):
    message = _upload_error(client, b"\n\n")

    assert "no requests" in message


def test_upload_rejects_other_purpose(client):
    message = _upload_error(client, batch_jsonl(1), purpose="fine-tune")

    assert "purpose" in message


def test_upload_skips_blank_lines(client):
    content = batch_line("a", "a").encode() + b"\n\n" + batch_line("b", "b").encode() + b"\n"

    uploaded = client.files.create(file=("input.jsonl", content), purpose="batch")

    assert uploaded.bytes == len(content)


def test_upload_rejects_too_many_lines(client):
    line = _line_with("x", body={"model": "m"})
    lines = [line.replace('"x"', f'"x{index}"') for index in range(MAX_BATCH_LINES + 1)]

    message = _upload_error(client, "\n".join(lines).encode())

    assert f"line {MAX_BATCH_LINES + 1}" in message
    assert "maximum" in message
