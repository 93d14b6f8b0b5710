"""The feed's per-event cursor, built as bytes, is the cursor encode_feed_cursor gives and decode reads."""

from domain.sharing.feed import cursor_bytes
from domain.sharing.rules import decode_feed_cursor, encode_feed_cursor


def test_event_cursor_bytes_are_the_feed_cursor() -> None:
    for stamp, seq in ((0, 1), (1796473258353828, 2), (1796473258353828, 874_123), (7, 10**12 + 3)):
        assert cursor_bytes(stamp, seq).decode() == encode_feed_cursor(stamp, seq)
        assert decode_feed_cursor(cursor_bytes(stamp, seq).decode()) == (stamp, seq)
