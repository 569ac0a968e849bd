"""Splitting scanner streams into bounded lines, and the GS substitute (pure functions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gate.ingest.readers.lines import GS, LineSplitter, Overlong, Piece, to_code


def split_all(splitter: LineSplitter, chunks: list[bytes]) -> list[Piece]:
    out: list[Piece] = []
    for chunk in chunks:
        out += splitter.feed(chunk)
    return out + splitter.finish()


def test_lines_at_each_terminator() -> None:
    """LF, CR LF and CR each end lines; the terminator is not part of the line."""
    assert [b"a", b"b"] == LineSplitter(b"\n").feed(b"a\nb\n")
    assert [b"a", b"b\rc"] == LineSplitter(b"\r\n").feed(b"a\r\nb\rc\r\n")
    assert [b"a", b"b"] == LineSplitter(b"\r").feed(b"a\rb\r")


def test_terminator_split_over_two_reads() -> None:
    """A CR LF whose two bytes arrive in different reads still ends the line."""
    splitter = LineSplitter(b"\r\n", max_line=4)
    assert [] == splitter.feed(b"abcd\r")
    assert [b"abcd"] == splitter.feed(b"\n")


def test_overlong_line_is_reported_once_and_skipped() -> None:
    """A line over the limit is reported as soon as it is too long, the rest of it up to
    the terminator is dropped, and the next line is read as usual."""
    splitter = LineSplitter(b"\n", max_line=8)
    assert [Overlong(10)] == splitter.feed(b"0123456789")
    assert [] == splitter.feed(b"more and more")
    assert 0 == splitter.buffered
    assert [b"next"] == splitter.feed(b"tail\nnext\n")


def test_overlong_line_within_one_read() -> None:
    """An overlong line that arrives whole, terminator included, is reported with its length."""
    stream = b"ok\n" + b"x" * 12 + b"\nok\n"
    assert [b"ok", Overlong(12), b"ok"] == LineSplitter(b"\n", 8).feed(stream)


def test_unterminated_last_line_counts_at_end_of_stream() -> None:
    """Bytes left when the stream ends are one more line (scanners that close instead)."""
    splitter = LineSplitter(b"\n")
    assert [] == splitter.feed(b"abc")
    assert [b"abc"] == splitter.finish()
    assert [] == splitter.finish()


@given(
    lines=st.lists(st.binary(max_size=20).filter(lambda b: b"\n" not in b), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_chunking_does_not_matter(lines: list[bytes], cuts: list[int]) -> None:
    """However the stream is cut into reads, the same lines and refusals come out (a refusal
    says how much it had seen, which depends on the reads)."""
    stream = b"".join(line + b"\n" for line in lines)
    positions = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *positions], [*positions, len(stream)], strict=True)]
    pieces = split_all(LineSplitter(b"\n", 12), chunks)
    assert all(p.seen > 12 for p in pieces if isinstance(p, Overlong))
    expected = [line if len(line) <= 12 else "overlong" for line in lines]
    assert expected == [p if isinstance(p, bytes) else "overlong" for p in pieces]


def test_memory_stays_bounded() -> None:
    """A peer that never sends a terminator cannot make the splitter hold more than the limit."""
    splitter = LineSplitter(b"\r\n", max_line=100)
    for _ in range(1000):
        splitter.feed(b"y" * 1000)
        assert splitter.buffered <= 101


def test_to_code_trims_and_restores_gs() -> None:
    """A line's code has no surrounding blanks or stray CR, and its GS substitute is GS."""
    assert f"0109506000134352{GS}10ABC" == to_code(b" 0109506000134352<GS>10ABC\r", "<GS>")
    assert f"01095060001343521{GS}0" == to_code(b"01095060001343521~0", "~")
    assert "]C1~" == to_code(b"]C1~\t")
    assert f"{GS}x" == to_code(f"{GS}x".encode())  # GS is kept, never trimmed as a blank


def test_to_code_keeps_bad_bytes_visible() -> None:
    """Bytes that are not UTF-8 become U+FFFD, so decoding refuses the code with a reason."""
    assert "a\ufffdb" == to_code(b"a\xffb")
