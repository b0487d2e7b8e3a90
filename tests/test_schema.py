"""conform(): canonical dtypes, and text in one Arrow chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from gis.schema import conform
from layers import catalogue


def test_text_read_in_batches_becomes_one_chunk():
    """A reader's record batches leave a text column in several Arrow chunks; conform joins
    them (taking rows from a chunked column concatenates every chunk first), values unchanged."""
    chunked = pa.chunked_array([pa.array(["甲", None, "乙"], pa.large_string()),
                                pa.array(["𠀾", ""], pa.large_string())])
    frame = pd.DataFrame({"zone_id": pd.array(chunked, dtype="str"),
                          "name": pd.array(chunked, dtype="str")})
    assert pa.array(frame["name"].array).num_chunks == 2
    out = conform(frame, catalogue["zones"])
    for column in ("zone_id", "name"):
        arrow = pa.array(out[column].array)
        assert not isinstance(arrow, pa.ChunkedArray) or arrow.num_chunks == 1
        assert out[column].tolist()[:1] + out[column].tolist()[2:] == ["甲", "乙", "𠀾", ""]
        assert pd.isna(out[column].iloc[1])
        assert str(out[column].dtype) == "str"
    pd.testing.assert_frame_equal(out, frame[out.columns.tolist()])
    taken = out["name"].array.take(np.array([3, 0]))
    assert list(taken) == ["𠀾", "甲"]
