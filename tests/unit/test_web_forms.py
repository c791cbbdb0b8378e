"""Form bodies as browsers and mail providers send them: form-encoded or multipart."""

from palabre.web import form_fields

BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*fields: tuple[str, str]) -> str:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


def test_form_encoded_and_multipart_read_the_same() -> None:
    encoded = form_fields("choice=no_digest&note=%C3%A9t%C3%A9", limit=4096)
    parted = form_fields(
        multipart(("choice", "no_digest"), ("note", "été")), limit=4096, content_type=MULTIPART
    )
    assert encoded == parted == {"choice": ["no_digest"], "note": ["été"]}


def test_too_many_fields_read_as_none_in_either_shape() -> None:
    many = [("f", str(i)) for i in range(11)]
    assert form_fields("&".join(f"{k}={v}" for k, v in many), limit=4096) == {}
    assert form_fields(multipart(*many), limit=4096, content_type=MULTIPART) == {}


def test_a_broken_multipart_body_reads_as_no_field() -> None:
    assert form_fields("List-Unsubscribe=One-Click", limit=4096, content_type=MULTIPART) == {}
    assert form_fields("", limit=4096, content_type="multipart/form-data") == {}
