"""Signed personal links: round trip, forgery, expiry, key rotation and purpose, as properties."""

import base64
import json
from datetime import UTC, datetime, timedelta
from itertools import permutations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from palabre.core.links import Links
from palabre.core.models import member_id
from palabre.core.tokens import (
    CURRENT_KEY_ONLY,
    SEALED,
    InvalidToken,
    LinkSecretUnusable,
    Purpose,
    Signer,
    keys_from_secret,
    signer_from_secret,
    theme_ref,
)

TOKENS = settings(deadline=None, max_examples=150)

NOW = datetime(2027, 3, 16, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=37)
# What a link carries in practice: a theme slug and a member id ("m" + 24 base32 chars).
THEME_ID = st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True)
MEMBER_ID = st.from_regex(r"m[a-z2-7]{24}", fullmatch=True)
# Any short text, including non-ASCII and separators a naive format would trip on.
ANY_ID = st.text(min_size=0, max_size=12)
IDS = st.one_of(
    st.tuples(THEME_ID, MEMBER_ID).map(list),
    st.lists(ANY_ID, min_size=1, max_size=4),
)
KEY = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=64
)
PURPOSE = st.sampled_from(Purpose)
# Whole seconds: the token carries its expiry to the second.
EXPIRY = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def refused(signer: Signer, purpose: Purpose, token: str, now: datetime = NOW) -> bool:
    """True when the token is refused with InvalidToken (and nothing else)."""
    try:
        signer.verify(purpose, token, now)
    except InvalidToken as error:
        raised = error
    else:
        return False
    # The same bare error for every reason: nothing tells forged from expired.
    assert type(raised) is InvalidToken
    assert raised.args == ()
    return True


# ------------------------------------------------------------------------------ round trip
@TOKENS
@given(key=KEY, purpose=PURPOSE, ids=IDS, expires=EXPIRY)
def test_a_signed_token_verifies_to_the_same_ids_purpose_and_expiry(
    key: str, purpose: Purpose, ids: list[str], expires: datetime
) -> None:
    signer = Signer([key])

    claims = signer.verify(purpose, signer.sign(purpose, ids, expires), expires - timedelta(1))

    assert claims.ids == tuple(ids)
    assert claims.purpose is purpose
    assert claims.expires == expires


@TOKENS
@given(purpose=PURPOSE, ids=IDS, expires=EXPIRY)
def test_a_token_is_url_safe_and_bounded(
    purpose: Purpose, ids: list[str], expires: datetime
) -> None:
    token = Signer(["k"]).sign(purpose, ids, expires)

    assert set(token) <= set(URL_SAFE)
    assert len(token) <= 512


@TOKENS
@given(theme=THEME_ID, member=MEMBER_ID, expires=EXPIRY)
def test_a_real_link_token_fits_the_verified_length(
    theme: str, member: str, expires: datetime
) -> None:
    # verify() refuses anything longer than 512 characters without looking at it
    signer = Signer(["old", "current"])

    token = signer.sign(Purpose.ANSWER, [theme, member], expires)

    assert len(token) <= 512
    assert signer.verify(Purpose.ANSWER, token, expires - timedelta(1)).ids == (theme, member)


# --------------------------------------------------------------------------------- forgery
@TOKENS
@given(
    purpose=PURPOSE,
    ids=IDS,
    position=st.integers(min_value=0),
    replacement=st.sampled_from(URL_SAFE + "=+/ ~!%\n\x00é"),
)
def test_any_single_character_change_is_refused(
    purpose: Purpose, ids: list[str], position: int, replacement: str
) -> None:
    signer = Signer(["secret"])
    token = signer.sign(purpose, ids, LATER)
    index = position % len(token)
    assume(token[index] != replacement)

    tampered = token[:index] + replacement + token[index + 1 :]

    assert refused(signer, purpose, tampered)


@pytest.mark.parametrize(
    "ids",
    [["one-to-ones", "mabcdefghijklmnopqrstuvwx"], ["x" * 300]],
    ids=["answer-link", "compressed-payload"],
)
def test_every_single_character_change_of_a_token_is_refused(ids: list[str]) -> None:
    # Exhaustive: base64 decoding forgives a last character's spare bits, "+" for "-" and
    # padding, so a few changes would slip through a sampled search.
    signer = Signer(["secret"])
    token = signer.sign(Purpose.ANSWER, ids, LATER)

    accepted = [
        (index, replacement)
        for index in range(len(token))
        for replacement in URL_SAFE + "=+/"
        if replacement != token[index]
        and not refused(signer, Purpose.ANSWER, token[:index] + replacement + token[index + 1 :])
    ]

    assert accepted == []


@TOKENS
@given(purpose=PURPOSE, ids=IDS, data=st.data())
def test_a_truncated_token_is_refused(purpose: Purpose, ids: list[str], data: st.DataObject):
    signer = Signer(["secret"])
    token = signer.sign(purpose, ids, LATER)
    keep = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="keep")

    assert refused(signer, purpose, token[:keep])
    assert refused(signer, purpose, token[len(token) - keep :])


@TOKENS
@given(
    purpose=PURPOSE,
    ids=IDS,
    suffix=st.one_of(
        st.text(alphabet=URL_SAFE + "=+/", min_size=1, max_size=8),
        st.sampled_from(["=", "==", "===", "\n", " ", "%3D"]),
    ),
)
def test_appended_data_is_refused(purpose: Purpose, ids: list[str], suffix: str) -> None:
    signer = Signer(["secret"])
    token = signer.sign(purpose, ids, LATER)

    assert refused(signer, purpose, token + suffix)
    assert refused(signer, purpose, suffix + token)


@TOKENS
@given(purpose=PURPOSE, first=IDS, second=IDS)
def test_a_payload_moved_onto_another_tokens_signature_is_refused(
    purpose: Purpose, first: list[str], second: list[str]
) -> None:
    assume(first != second)
    signer = Signer(["secret"])
    mine = signer.sign(purpose, first, LATER)
    theirs = signer.sign(purpose, second, LATER)
    my_payload, my_signature = mine.rsplit(".", 1)
    their_payload, their_signature = theirs.rsplit(".", 1)

    assert refused(signer, purpose, f"{their_payload}.{my_signature}")
    assert refused(signer, purpose, f"{my_payload}.{their_signature}")


@TOKENS
@given(signing=KEY, verifying=st.lists(KEY, min_size=1, max_size=3), purpose=PURPOSE, ids=IDS)
def test_a_token_signed_with_a_key_the_secret_does_not_hold_is_refused(
    signing: str, verifying: list[str], purpose: Purpose, ids: list[str]
) -> None:
    assume(signing not in verifying)
    forged = Signer([signing]).sign(purpose, ids, LATER)

    assert refused(Signer(verifying), purpose, forged)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "..",
        "not-a-token",
        "W10.",
        ".W10",
        "W10.W10",
        "a" * 513,
    ],
    ids=[
        "empty",
        "dot",
        "two-dots",
        "no-signature",
        "empty-signature",
        "empty-payload",
        "garbage-signature",
        "too-long",
    ],
)
def test_garbage_is_refused(token: str) -> None:
    assert refused(Signer(["secret"]), Purpose.ANSWER, token)


def test_a_validly_signed_payload_of_the_wrong_shape_is_refused() -> None:
    # Only sign() writes tokens, but verify() must not trust the shape of what it decodes.
    serializer = URLSafeSerializer(["secret"], salt="palabre.answer")
    for payload in ([], [1], ["a", "b"], ["a", 1.5], [1, 2], {"a": 1}, "a", ["a", True]):
        wrong = serializer.dumps(payload)
        assert refused(Signer(["secret"]), Purpose.ANSWER, wrong), payload


# ---------------------------------------------------------------------------------- expiry
@TOKENS
@given(
    purpose=PURPOSE,
    ids=IDS,
    expires=EXPIRY,
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)),
)
def test_a_token_is_refused_from_its_expiry_on(
    purpose: Purpose, ids: list[str], expires: datetime, after: timedelta
) -> None:
    signer = Signer(["secret"])
    token = signer.sign(purpose, ids, expires)

    assert refused(signer, purpose, token, now=expires + after)


@TOKENS
@given(
    purpose=PURPOSE,
    ids=IDS,
    expires=EXPIRY,
    before=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)),
)
def test_a_token_is_accepted_until_its_expiry(
    purpose: Purpose, ids: list[str], expires: datetime, before: timedelta
) -> None:
    signer = Signer(["secret"])
    token = signer.sign(purpose, ids, expires)

    assert signer.verify(purpose, token, expires - before).ids == tuple(ids)


@TOKENS
@given(
    expires=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(seconds=2)),
)
def test_a_token_never_outlives_the_expiry_it_was_signed_with(
    expires: datetime, after: timedelta
) -> None:
    # Sub-second expiries are carried as whole seconds: rounded down, never up.
    signer = Signer(["secret"])
    token = signer.sign(Purpose.VOTE, ["a"], expires)

    assert refused(signer, Purpose.VOTE, token, now=expires + after)


def test_the_expiry_is_an_instant_whatever_the_zone_it_was_written_in() -> None:
    signer = Signer(["secret"])
    expires = datetime(2027, 3, 31, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 30 Mar 22:00Z
    token = signer.sign(Purpose.ANSWER, ["t", "m"], expires)

    assert signer.verify(Purpose.ANSWER, token, datetime(2027, 3, 30, 21, 59, 59, tzinfo=UTC))
    assert refused(signer, Purpose.ANSWER, token, now=datetime(2027, 3, 30, 22, 0, tzinfo=UTC))


# -------------------------------------------------------------------------------- rotation
@TOKENS
@given(
    old=KEY,
    new=KEY,
    older=st.lists(KEY, max_size=2),
    purpose=PURPOSE,
    ids=IDS,
    expires=EXPIRY,
)
def test_rotating_the_secret_keeps_old_links_working_and_signs_with_the_new_key(
    old: str, new: str, older: list[str], purpose: Purpose, ids: list[str], expires: datetime
) -> None:
    assume(old != new and new not in older and purpose not in CURRENT_KEY_ONLY)
    # Given a link sent before the rotation
    sent = Signer(keys_from_secret({"current": old, "previous": older})).sign(purpose, ids, expires)

    # When the secret is rotated
    rotated = Signer(keys_from_secret({"current": new, "previous": [*older, old]}))

    # Then the link still opens, and new links are signed with the new key only
    at = expires - timedelta(seconds=1)
    assert rotated.verify(purpose, sent, at).ids == tuple(ids)
    fresh = rotated.sign(purpose, ids, expires)
    assert Signer([new]).verify(purpose, fresh, at).ids == tuple(ids)
    assert refused(Signer([old, *older]), purpose, fresh, now=at)


@TOKENS
@given(old=KEY, new=KEY, older=st.lists(KEY, max_size=2), ids=IDS, expires=EXPIRY)
def test_rotating_the_secret_revokes_every_admin_link_at_once(
    old: str, new: str, older: list[str], ids: list[str], expires: datetime
) -> None:
    """An admin link opens the animators' space: a rotation (the old key kept in
    `previous`, so that members' links still open) revokes it; a fresh one is needed."""
    assume(old != new and new not in older)
    sent = Signer(keys_from_secret({"current": old, "previous": older})).sign(
        Purpose.ADMIN, ids, expires
    )
    rotated = Signer(keys_from_secret({"current": new, "previous": [*older, old]}))
    at = expires - timedelta(seconds=1)
    assert refused(rotated, Purpose.ADMIN, sent, now=at)
    fresh = rotated.sign(Purpose.ADMIN, ids, expires)
    assert rotated.verify(Purpose.ADMIN, fresh, at).ids == tuple(ids)


@TOKENS
@given(old=KEY, new=KEY, purpose=PURPOSE, ids=IDS)
def test_a_key_removed_from_the_secret_no_longer_verifies(
    old: str, new: str, purpose: Purpose, ids: list[str]
) -> None:
    assume(old != new)
    sent = Signer([old]).sign(purpose, ids, LATER)

    retired = Signer(keys_from_secret({"current": new, "previous": []}))

    assert refused(retired, purpose, sent)


@pytest.mark.parametrize(
    ("secret", "keys"),
    [
        ({"current": "b"}, ["b"]),
        ({"current": "b", "previous": []}, ["b"]),
        ({"current": "b", "previous": None}, ["b"]),
        ({"current": "b", "previous": "a"}, ["a", "b"]),
        ({"current": "c", "previous": ["a", "b"]}, ["a", "b", "c"]),
    ],
    ids=["current-only", "no-previous", "null-previous", "previous-as-text", "two-previous"],
)
def test_the_secret_lists_keys_oldest_first_with_the_current_one_last(
    secret: dict, keys: list[str]
) -> None:
    assert keys_from_secret(secret) == keys


@pytest.mark.parametrize("keys", [[], [""], ["a", ""]], ids=["none", "empty", "one-empty"])
def test_a_signer_needs_non_empty_keys(keys: list[str]) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        Signer(keys)


# ---------------------------------------------------------------------------------- purpose
PURPOSE_PAIRS = list(permutations(Purpose, 2))


@pytest.mark.parametrize(
    ("signed_for", "used_for"),
    PURPOSE_PAIRS,
    ids=[f"{a.value}-as-{b.value}" for a, b in PURPOSE_PAIRS],
)
@settings(deadline=None, max_examples=50)
@given(key=KEY, ids=IDS, expires=EXPIRY)
def test_a_token_for_one_purpose_is_refused_for_any_other(
    signed_for: Purpose, used_for: Purpose, key: str, ids: list[str], expires: datetime
) -> None:
    signer = Signer([key])
    token = signer.sign(signed_for, ids, expires)

    assert refused(signer, used_for, token, now=expires - timedelta(seconds=1))


# ------------------------------------------------------------- one error for every reason
def test_forged_expired_wrong_purpose_and_garbage_are_the_same_error() -> None:
    signer = Signer(["secret"])
    valid = signer.sign(Purpose.ANSWER, ["theme", "member"], LATER)
    reasons = {
        "forged": (Purpose.ANSWER, Signer(["other"]).sign(Purpose.ANSWER, ["t", "m"], LATER), NOW),
        "tampered": (Purpose.ANSWER, valid[:-1] + ("A" if valid[-1] != "A" else "B"), NOW),
        "expired": (Purpose.ANSWER, valid, LATER),
        "wrong purpose": (Purpose.VOTE, valid, NOW),
        "garbage": (Purpose.ANSWER, "hello", NOW),
    }
    errors = {}
    for reason, (purpose, token, now) in reasons.items():
        with pytest.raises(InvalidToken) as raised:
            signer.verify(purpose, token, now)
        errors[reason] = (type(raised.value), raised.value.args)

    assert set(errors.values()) == {(InvalidToken, ())}


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4),
    expires=st.integers(min_value=0, max_value=253_402_300_799),
    purpose=st.sampled_from(list(Purpose)),
)
def test_a_token_is_what_itsdangerous_writes_byte_for_byte(
    ids: list[str], expires: int, purpose: Purpose
) -> None:
    # sign() keeps the derived key and copies the keyed HMAC: the same token, faster; a
    # short payload it does not try to compress, where itsdangerous might
    signer = Signer(["previous-key", "current-key"])
    serializer = signer._serializer(purpose)

    token = signer.sign(purpose, ids, datetime.fromtimestamp(expires, UTC))

    written = serializer.dumps([*ids, expires])
    text = json.dumps([*ids, expires], ensure_ascii=False, separators=(",", ":")).encode()
    if written.startswith(".") and len(text) < 200:
        assert not token.startswith(".")
        assert serializer.loads(token) == serializer.loads(written)
    else:
        assert token == written


@pytest.mark.parametrize(
    "ids",
    [
        ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "m" + "a" * 24],  # short, compressible
        ["x" * 300],  # long: compressed, as itsdangerous does
    ],
)
def test_links_written_compressed_by_itsdangerous_still_verify(ids: list[str]) -> None:
    signer = Signer(["previous-key", "current-key"])
    written = signer._serializer(Purpose.ANSWER).dumps([*ids, int(LATER.timestamp())])
    assert written.startswith(".")  # compressed

    assert signer.verify(Purpose.ANSWER, written, NOW).ids == tuple(ids)
    ours = signer.sign(Purpose.ANSWER, ids, LATER)
    assert ours.startswith(".") is (len(ids[0]) > 200)
    assert signer.verify(Purpose.ANSWER, ours, NOW).ids == tuple(ids)


# ------------------------------------------------------------------------------ sealed ids
@TOKENS
@given(key=KEY, author=MEMBER_ID, theme=THEME_ID, voter=MEMBER_ID)
def test_a_sealed_id_unseals_in_its_context_only_and_never_shows_the_id(
    key: str, author: str, theme: str, voter: str
) -> None:
    signer = Signer([key])
    sealed = signer.seal(author, theme, voter)

    assert signer.unseal(sealed, theme, voter) == author
    assert author not in sealed
    assert sealed == signer.seal(author, theme, voter)  # the same link every attempt
    assert sealed.startswith(SEALED)
    assume(voter != author)
    with pytest.raises(InvalidToken):
        signer.unseal(sealed, theme, author)  # another voter's link


def test_two_authors_sealed_for_one_voter_share_nothing_a_reader_could_compare() -> None:
    signer = Signer(["k" * 32])
    one = base64.urlsafe_b64decode(signer.seal("m" + "a" * 24, "t", "mvoter")[1:] + "==")
    two = base64.urlsafe_b64decode(signer.seal("m" + "b" * 24, "t", "mvoter")[1:] + "==")

    assert one[:12] != two[:12]  # each its own IV, so its own keystream
    assert bytes(a ^ b for a, b in zip(one[12:], two[12:], strict=True)) != bytes(
        a ^ b for a, b in zip(b"m" + b"a" * 24, b"m" + b"b" * 24, strict=True)
    )


def test_a_sealed_id_survives_a_key_rotation_and_dies_with_its_key() -> None:
    sealed = Signer(["old"]).seal("mauthor", "t", "mvoter")

    assert Signer(["old", "new"]).unseal(sealed, "t", "mvoter") == "mauthor"
    with pytest.raises(InvalidToken):
        Signer(["new"]).unseal(sealed, "t", "mvoter")


@pytest.mark.parametrize("sealed", ["", "~", "mauthor", "~AAAA", "~" + "A" * 400, "~!!!"])
def test_anything_else_is_refused_as_a_sealed_id(sealed: str) -> None:
    with pytest.raises(InvalidToken):
        Signer(["k"]).unseal(sealed, "t", "mvoter")


def test_a_changed_sealed_id_never_unseals_to_another_author() -> None:
    signer = Signer(["k"])
    sealed = signer.seal("mauthor", "t", "mvoter")
    refused = 0
    for i in range(1, len(sealed)):
        changed = sealed[:i] + ("A" if sealed[i] != "A" else "B") + sealed[i + 1 :]
        try:
            value = signer.unseal(changed, "t", "mvoter")
        except InvalidToken:
            refused += 1
            continue
        assert value == "mauthor"  # a last character's unused bits: the same bytes
    assert refused >= len(sealed) - 2


# ------------------------------------------------------------------- out-of-range payloads
@pytest.mark.parametrize(
    "expiry",
    [2**62, -(2**62), 10**20, 2**31 * 1000, -(10**12), True],
    ids=["huge", "huge-negative", "beyond-int64", "milliseconds-far", "before-year-1", "bool"],
)
def test_a_signed_expiry_no_date_can_hold_is_refused_like_a_forgery(expiry: object) -> None:
    # Given a token the secret's key really signed, whose expiry is out of any date's range
    signer = Signer(["k"])
    token = signer._serializer(Purpose.ANSWER).dumps(["t", "m", expiry])

    # Then it is the same bare refusal as any bad link (the page: the plain 404)
    assert refused(signer, Purpose.ANSWER, token)


# ----------------------------------------------------------------- a secret that is broken
def test_a_secret_without_current_still_verifies_and_refuses_to_sign() -> None:
    sent = Signer(["a", "b"]).sign(Purpose.SPACE, ["m"], LATER)
    sealed = Signer(["a", "b"]).hide("mauthor", Purpose.VOTE, "t")

    signer = signer_from_secret(json.dumps({"previous": ["a", "b"]}))

    assert signer.verify(Purpose.SPACE, sent, NOW).ids == ("m",)
    assert signer.member(sealed, Purpose.VOTE, "t") == "mauthor"
    with pytest.raises(LinkSecretUnusable, match='no "current" key'):
        signer.sign(Purpose.SPACE, ["m"], LATER)
    with pytest.raises(LinkSecretUnusable):
        signer.hide("m", Purpose.SPACE)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[1, 2]",
        '"current"',
        "{}",
        '{"current": ""}',
        '{"current": null, "previous": []}',
        '{"current": "k", "previous": [1]}',
        '{"current": "k", "previous": {"a": 1}}',
        b"\xff\xfe",
    ],
    ids=[
        "empty",
        "not-json",
        "a-list",
        "a-string",
        "no-key",
        "empty-current",
        "null-current",
        "previous-not-text",
        "previous-an-object",
        "not-utf8",
    ],
)
def test_a_secret_that_holds_no_usable_key_is_one_clear_error(text: str | bytes) -> None:
    with pytest.raises(LinkSecretUnusable):
        signer_from_secret(text)


def test_a_whole_secret_signs_with_current_and_verifies_with_every_key() -> None:
    old = Signer(["a"]).sign(Purpose.ANSWER, ["t", "m"], LATER)

    signer = signer_from_secret('{"current": "b", "previous": "a"}')

    assert signer.verify(Purpose.ANSWER, old, NOW).ids == ("t", "m")
    assert refused(Signer(["a"]), Purpose.ANSWER, signer.sign(Purpose.ANSWER, ["t"], LATER))


# ------------------------------------------------------------------ member ids in links
def _payload(link: str) -> str:
    """What anyone reading a link sees: its payload, decoded (no key needed)."""
    token = link.rsplit("/", 1)[-1]
    return json.dumps(URLSafeSerializer("any").load_payload(token.rsplit(".", 1)[0].encode()))


def test_no_link_lets_its_reader_confirm_a_guessed_address() -> None:
    # Given a colleague whose address a reader can guess
    guessed = member_id("lea.martin@demo.palabre.example")
    reader = member_id("hugo.bernard@demo.palabre.example")
    links = Links("https://palabre.example", Signer(["k"]))
    at = datetime(2026, 12, 7, tzinfo=UTC)

    every_link = [
        links.answer("demo-1", guessed, at),
        links.unsubscribe(guessed, at),
        links.unsubscribe(guessed, at, "no_digest"),
        links.export("2026-W49", "answers", guessed, at),
        links.vote("demo-1", guessed, reader, at),  # the author, named or anonymous
        links.vote("demo-1", reader, guessed, at),
        links.star("demo-1", guessed, reader, at),
        links.star("demo-1", reader, guessed, at),
        links.space(guessed, at),
        links.space_theme(guessed, "demo-1", at),
        links.cancel("demo-1", guessed, at),
    ]

    # Then no link carries the id derived from that address, in any part
    for link in every_link:
        assert guessed not in link
        assert guessed not in _payload(link.split("/themes/")[0]), link


def test_a_hidden_member_id_differs_by_link_and_opens_only_in_its_own() -> None:
    signer = Signer(["k"])
    hidden = signer.hide("mlea", Purpose.ANSWER, "demo-1")

    assert signer.member(hidden, Purpose.ANSWER, "demo-1") == "mlea"
    assert hidden != signer.hide("mlea", Purpose.ANSWER, "demo-2")
    assert hidden != signer.hide("mlea", Purpose.SPACE)
    for purpose, context in [(Purpose.ANSWER, ("demo-2",)), (Purpose.SPACE, ("demo-1",))]:
        with pytest.raises(InvalidToken):
            signer.member(hidden, purpose, *context)


def test_links_minted_before_ids_were_sealed_still_open() -> None:
    # Given links as they were signed before (plain member ids)
    signer = Signer(["k"])
    later = NOW + timedelta(days=3)
    space = signer.sign(Purpose.SPACE, ["mlea"], later)
    vote = signer.sign(Purpose.VOTE, ["demo-1", "mlea", "mhugo"], later)

    # Then they name the same members
    assert signer.member_of(space, NOW) == "mlea"
    theme, author, voter = signer.verify(Purpose.VOTE, vote, NOW).ids
    assert signer.member(voter, Purpose.VOTE, theme) == "mhugo"
    assert signer.opened(author, theme, "mhugo") == "mlea"


# ------------------------------------------------------------------ reply addresses
LEA_ID = member_id("lea.dubois@demo.palabre.example")
LONGEST_THEME = "t" * 64


def test_a_reply_address_fits_an_smtp_local_part_whatever_the_theme() -> None:
    links = Links("https://palabre.example", Signer(["k1"]), "replies.example.com")

    address = links.reply_address(LONGEST_THEME, LEA_ID, LATER)

    local, _, domain = address.partition("@")
    assert domain == "replies.example.com"
    assert local.startswith("reply+")
    assert len(local.encode()) <= 64  # RFC 5321
    assert local == local.lower()
    # …and the member's id is not readable in it
    assert LEA_ID[1:] not in local


def test_without_an_inbound_domain_there_is_no_reply_address() -> None:
    assert Links("https://palabre.example", Signer(["k1"])).reply_address("t", LEA_ID, LATER) == ""


def test_a_reply_token_reads_back_its_member_theme_and_expiry_in_any_case() -> None:
    signer = Signer(["k1"])
    token = signer.reply_token(LEA_ID, "demo-1", LATER)

    for spelling in (token, token.upper()):
        claims = signer.reply_claims(spelling, NOW)
        assert claims.member_id == LEA_ID
        assert claims.theme_ref == theme_ref("demo-1")
        assert claims.expires == LATER.replace(microsecond=0)


def test_a_reply_token_is_refused_once_expired_or_under_another_secret() -> None:
    token = Signer(["k1"]).reply_token(LEA_ID, "demo-1", LATER)

    with pytest.raises(InvalidToken):
        Signer(["k1"]).reply_claims(token, LATER)
    with pytest.raises(InvalidToken):
        Signer(["k2"]).reply_claims(token, NOW)
    # A rotated secret still reads the addresses already sent; its new key signs
    rotated = Signer(["k1", "k2"])
    assert rotated.reply_claims(token, NOW).member_id == LEA_ID
    assert rotated.reply_claims(rotated.reply_token(LEA_ID, "demo-1", LATER), NOW)
    with pytest.raises(InvalidToken):
        Signer(["k1"]).reply_claims(rotated.reply_token(LEA_ID, "demo-1", LATER), NOW)


@pytest.mark.parametrize("position", [0, 11, 30, 46, 53])
def test_a_reply_token_changed_anywhere_is_refused(position: int) -> None:
    signer = Signer(["k1"])
    token = signer.reply_token(LEA_ID, "demo-1", LATER)
    changed = token[:position] + ("b" if token[position] != "b" else "c") + token[position + 1 :]

    with pytest.raises(InvalidToken):
        signer.reply_claims(changed, NOW)


@pytest.mark.parametrize(
    "text",
    ["", "a" * 54, "a" * 56, "a" * 54 + "1", "a" * 54 + "=", "reply+" + "a" * 49],
)
def test_text_that_is_not_a_reply_token_is_refused(text: str) -> None:
    with pytest.raises(InvalidToken):
        Signer(["k1"]).reply_claims(text, NOW)


def test_only_the_exact_text_written_is_a_reply_token() -> None:
    # The last character carries 3 unused bits: another character decoding to the same
    # bytes is not the token
    signer = Signer(["k1"])
    token = signer.reply_token(LEA_ID, "demo-1", LATER)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    value = alphabet.index(token[-1])
    twin = token[:-1] + alphabet[value ^ 1]

    with pytest.raises(InvalidToken):
        signer.reply_claims(twin, NOW)


def test_a_signer_without_a_current_key_mints_no_reply_address() -> None:
    with pytest.raises(LinkSecretUnusable):
        Signer(["k1"], signs=False).reply_token(LEA_ID, "demo-1", LATER)
    with pytest.raises(ValueError, match="member id"):
        Signer(["k1"]).reply_token("someone", "demo-1", LATER)


# ------------------------------------------------------------------ unsubscribe addresses
def test_an_unsubscribe_address_fits_an_smtp_local_part_and_reads_back_its_scope() -> None:
    signer = Signer(["k1"])
    links = Links("https://palabre.example", signer, "replies.example.com")

    for scope in ("nothing", "no_digest"):
        address = links.unsubscribe_address(LEA_ID, NOW, scope)
        local, _, domain = address.partition("@")
        assert domain == "replies.example.com"
        assert local.startswith("unsubscribe+")
        assert len(local.encode()) <= 64  # RFC 5321
        assert LEA_ID[1:] not in local
        token = local.removeprefix("unsubscribe+")
        for spelling in (token, token.upper()):
            claims = signer.unsubscribe_claims(spelling, NOW)
            assert (claims.member_id, claims.scope) == (LEA_ID, scope)
    # …and without an inbound domain, there is none
    assert Links("https://palabre.example", signer).unsubscribe_address(LEA_ID, NOW) == ""


def test_an_unsubscribe_token_is_no_reply_token_and_a_reply_token_no_unsubscribe_one() -> None:
    signer = Signer(["k1"])
    reply = signer.reply_token(LEA_ID, "demo-1", LATER)
    unsubscribe = signer.unsubscribe_token(LEA_ID, "nothing", LATER)

    with pytest.raises(InvalidToken):
        signer.unsubscribe_claims(reply, NOW)
    with pytest.raises(InvalidToken):
        signer.reply_claims(unsubscribe, NOW)
    # …even cut or padded to the other's length
    with pytest.raises(InvalidToken):
        signer.unsubscribe_claims(reply[: len(unsubscribe)], NOW)


@pytest.mark.parametrize("position", [0, 11, 30, 40, 47])
def test_an_unsubscribe_token_changed_anywhere_expired_or_under_another_secret_is_refused(
    position: int,
) -> None:
    signer = Signer(["k1"])
    token = signer.unsubscribe_token(LEA_ID, "no_digest", LATER)
    changed = token[:position] + ("b" if token[position] != "b" else "c") + token[position + 1 :]

    with pytest.raises(InvalidToken):
        signer.unsubscribe_claims(changed, NOW)
    with pytest.raises(InvalidToken):
        signer.unsubscribe_claims(token, LATER)
    with pytest.raises(InvalidToken):
        Signer(["k2"]).unsubscribe_claims(token, NOW)
    # A rotated secret still reads the addresses already sent
    assert Signer(["k1", "k2"]).unsubscribe_claims(token, NOW).scope == "no_digest"


def test_an_unsubscribe_token_of_a_scope_this_version_does_not_know_is_refused() -> None:
    # Given a token signed over a scope byte past the known ones (a later version's)
    signer = Signer(["k1"])
    token = signer._address_token(signer._unsubscribe_keys, LEA_ID, bytes([7]), LATER)

    with pytest.raises(InvalidToken):
        signer.unsubscribe_claims(token, NOW)
