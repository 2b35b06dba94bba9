"""The secret format: generation, shape and checksum, base62, digest. Pure: no database."""

from __future__ import annotations

import hashlib
import re
import zlib

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from keyhouse.auth import keys

BASE62 = keys.ALPHABET
VALID_SHAPE = re.compile(r"kh_[0-9A-Za-z]{38}")


def decode_base62(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 62 + BASE62.index(ch)
    return value


def build_key(body: str) -> str:
    head = keys.PREFIX + body
    return head + keys.checksum(head)


bodies = st.text(alphabet=BASE62, min_size=keys.BODY_LENGTH, max_size=keys.BODY_LENGTH)
valid_keys = bodies.map(build_key)


def test_alphabet_is_base62_in_ascii_order() -> None:
    assert len(BASE62) == 62 and len(set(BASE62)) == 62
    assert "".join(sorted(BASE62)) == BASE62
    assert keys.SECRET_LENGTH == 41


def test_generated_keys_are_well_formed() -> None:
    generated = [keys.generate() for _ in range(300)]
    for secret in generated:
        assert len(secret) == 41
        assert secret.startswith("kh_")
        assert VALID_SHAPE.fullmatch(secret), secret
        assert set(secret[3:]) <= set(BASE62)
        assert keys.is_well_formed(secret)
        # The checksum is the CRC32 of everything before it.
        assert decode_base62(secret[-6:]) == zlib.crc32(secret[:-6].encode())
    # A CSPRNG does not repeat itself.
    assert len(set(generated)) == len(generated)


@given(valid_keys)
def test_checksummed_key_is_well_formed(secret: str) -> None:
    assert keys.is_well_formed(secret)
    assert keys.looks_like_key(secret)


@given(
    valid_keys,
    st.integers(min_value=0, max_value=keys.SECRET_LENGTH - 1),
    st.one_of(st.sampled_from(BASE62 + "_-+/=. "), st.characters()),
)
def test_any_single_character_change_is_refused(secret: str, index: int, ch: str) -> None:
    assume(secret[index] != ch)
    mutated = secret[:index] + ch + secret[index + 1 :]
    assert not keys.is_well_formed(mutated)


@given(valid_keys, st.integers(min_value=0, max_value=keys.SECRET_LENGTH - 1))
def test_truncation_is_refused(secret: str, length: int) -> None:
    assert not keys.is_well_formed(secret[:length])


@given(valid_keys, st.text(min_size=1, max_size=10))
def test_extension_is_refused(secret: str, extra: str) -> None:
    assert not keys.is_well_formed(secret + extra)
    assert not keys.is_well_formed(extra + secret)


@given(valid_keys, st.integers(min_value=0, max_value=keys.SECRET_LENGTH - 2))
def test_swapping_adjacent_characters_is_refused(secret: str, index: int) -> None:
    assume(secret[index] != secret[index + 1])
    swapped = secret[:index] + secret[index + 1] + secret[index] + secret[index + 2 :]
    assert not keys.is_well_formed(swapped)


@given(st.text(max_size=60))
@example("")
@example("kh_")
@example("kh_" + "0" * 38)
@example("KH_" + "A" * 38)
@example("kh_" + "é" * 38)
@example("kh_" + "0" * 37 + "\n")
def test_arbitrary_text_never_raises_and_is_refused(text: str) -> None:
    result = keys.is_well_formed(text)
    assert isinstance(result, bool)
    shaped = VALID_SHAPE.fullmatch(text) is not None
    genuine = shaped and decode_base62(text[-6:]) == zlib.crc32(text[:-6].encode())
    assert result is genuine
    assert not result  # random text is (overwhelmingly) never a key


@given(st.text(alphabet=BASE62, min_size=38, max_size=38))
def test_right_shape_with_wrong_checksum_is_refused(tail: str) -> None:
    candidate = "kh_" + tail
    assume(keys.checksum(candidate[:-6]) != candidate[-6:])
    assert not keys.is_well_formed(candidate)


@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda width: st.tuples(st.just(width), st.integers(min_value=0, max_value=62**width - 1))
    )
)
def test_encode_base62_round_trips(args: tuple[int, int]) -> None:
    width, value = args
    text = keys.encode_base62(value, width)
    assert len(text) == width
    assert set(text) <= set(BASE62)
    assert decode_base62(text) == value


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_crc32_fits_the_six_character_checksum(value: int) -> None:
    text = keys.encode_base62(value, keys.CHECKSUM_LENGTH)
    assert len(text) == 6 and decode_base62(text) == value


@given(st.integers(min_value=1, max_value=8))
def test_encode_base62_refuses_what_does_not_fit(width: int) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        keys.encode_base62(62**width, width)
    with pytest.raises(ValueError, match="negative"):
        keys.encode_base62(-1, width)


@given(valid_keys)
def test_digest_is_sha256_hex(secret: str) -> None:
    digest = keys.digest(secret)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in digest


@given(valid_keys, valid_keys)
def test_distinct_secrets_have_distinct_digests(a: str, b: str) -> None:
    assume(a != b)
    assert keys.digest(a) != keys.digest(b)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("kh_" + "a" * 17, True),
        ("kh_" + "a" * 16, False),
        ("xx_" + "a" * 38, False),
        ("", False),
    ],
)
def test_looks_like_key(value: str, expected: bool) -> None:
    assert keys.looks_like_key(value) is expected
