"""Timestamps: naive ones are refused, offsets become UTC, format and parse round-trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage_cli.errors import TimestampError
from lineage_cli.model import format_timestamp, parse_timestamp


def test_naive_timestamps_are_rejected_with_advice() -> None:
    with pytest.raises(TimestampError, match="no timezone") as info:
        parse_timestamp("2026-01-01T10:00:00")
    assert "Z" in str(info.value)


def test_garbage_timestamp_names_the_field() -> None:
    with pytest.raises(TimestampError, match=r"provenance\.timestamp 'yesterday'"):
        parse_timestamp("yesterday", what="provenance.timestamp")


def test_offsets_are_normalised_to_utc() -> None:
    assert parse_timestamp("2026-03-01T02:00:00+02:00") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_timestamp("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_then_parse_is_lossless(moment: datetime) -> None:
    assert parse_timestamp(format_timestamp(moment)) == moment
