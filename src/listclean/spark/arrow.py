"""listclean's own Polars chunk functions on every partition of a Spark DataFrame, through Arrow.

A step's per-chunk work is a function from a Polars frame to a Polars frame (validate's
`validate`, decay's `measure_chunk`, ...). `map_chunks` runs such a function in each Python worker
(`DataFrame.mapInArrow`) on chunks of up to 250,000 rows gathered from the 10,000-row Arrow batches
Spark sends (see session.SETTINGS for why they stay small): the batches become a Polars frame, the
function runs exactly as it does on one machine, and its answer goes back as Arrow batches. No rule
is written twice.

Spark needs the output's schema before any partition runs. It is found by running the function
on an empty frame of the input's schema, and every batch's answer is then cast to it, so the
function must answer every batch with the same columns (validate's email_alternates: always, as
empty lists where a batch has none).

Types: Polars' text is Arrow's large or view strings, Spark's is plain strings (cast on the way
out); unsigned integers become the signed type that holds them; categories (Enum, Categorical)
go as text and `to_polars` makes them categories again on the driver; timestamps arrive in the
session's time zone and are turned to UTC, as listclean holds them, and go back as instants
(Spark's TimestampType), whatever the session's zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql.types import StructType

ChunkFunction = Callable[["pl.DataFrame"], "pl.DataFrame"]


def polars_schema(schema: StructType) -> pl.Schema:
    """The Polars schema of frames made from Spark's Arrow batches of this schema."""
    import polars as pl
    from pyspark.sql.pandas.types import to_arrow_schema

    arrow = to_arrow_schema(schema, timezone="UTC")
    return pl.from_arrow(arrow.empty_table()).schema  # type: ignore[union-attr]


def spark_schema(schema: pl.Schema) -> StructType:
    """The Spark schema a Polars frame of this schema is handed back as (see `to_spark_arrow`)."""
    import polars as pl
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(_spark_arrow(pl.DataFrame(schema=schema)).schema, prefer_timestamp_ntz=False)


def _spark_arrow(frame: pl.DataFrame) -> pa.Table:
    """The frame as an Arrow table of the types Spark reads: plain strings, signed integers."""
    import polars as pl

    frame = frame.with_columns(
        pl.col(name).cast(_signed(dtype)) for name, dtype in frame.schema.items() if _signed(dtype) != dtype
    )
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())  # large strings and lists, no views
    return table.cast(_plain_arrow(table.schema))


def _signed(dtype: pl.DataType) -> pl.DataType:
    """The type Spark can read a Polars type as: unsigned integers as the signed type that holds
    them, categories (Enum, Categorical: Arrow dictionaries, which Spark does not read) as text."""
    import polars as pl

    unsigned = {pl.UInt8: pl.Int16, pl.UInt16: pl.Int32, pl.UInt32: pl.Int64, pl.UInt64: pl.Int64}
    for kind, signed in unsigned.items():
        if dtype == kind:
            return signed
    if isinstance(dtype, (pl.Enum, pl.Categorical)):
        return pl.String()
    if isinstance(dtype, pl.List):
        return pl.List(_signed(dtype.inner))
    return dtype


def to_polars(frame: SparkFrame, schema: pl.Schema) -> pl.DataFrame:
    """A (small) Spark frame on the driver as Polars, in `schema`'s types again (a category sent as
    text is a category again; see `_signed`)."""
    import polars as pl

    collected = pl.from_arrow(frame.toArrow())
    assert isinstance(collected, pl.DataFrame)
    return _in_utc(collected).cast(dict(schema))


def _plain_arrow(schema: pa.Schema) -> pa.Schema:
    import pyarrow as pa

    def plain(kind: pa.DataType) -> pa.DataType:
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            return pa.string()
        if pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
            return pa.binary()
        if pa.types.is_large_list(kind) or pa.types.is_list_view(kind) or pa.types.is_list(kind):
            return pa.list_(plain(kind.value_type))
        return kind

    return pa.schema([pa.field(field.name, plain(field.type), field.nullable) for field in schema])


def _in_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps as listclean holds them, in UTC: Spark hands them over in its session's zone."""
    import polars as pl

    zoned = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")]
    return frame.with_columns(pl.col(name).dt.convert_time_zone("UTC") for name in zoned) if zoned else frame


def from_spark_arrow(table: pa.Table) -> pl.DataFrame:
    """Spark's Arrow rows as the Polars frame listclean's code expects (timestamps in UTC)."""
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return _in_utc(frame)


def to_spark_arrow(frame: pl.DataFrame, schema: pl.Schema) -> pa.Table:
    """A chunk function's answer as the Arrow table Spark takes for `spark_schema(schema)`: its
    columns in `schema`'s order and types (a batch whose column is all null is cast, not refused)."""
    import polars as pl

    return _spark_arrow(frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items()))


def with_listclean_types(frame: SparkFrame) -> SparkFrame:
    """The frame with each of listclean's columns that Spark read as an integer of no meaning
    given its own type. Polars writes a column that holds no value with its Null type, which
    Spark reads as an integer (or as Spark's own null type): a timestamp column full of nulls then
    reaches the steps' rules as a whole number ("+ not allowed on i64 and duration"), where one
    machine reads it as the empty column it is. Every public function calls this first."""
    import polars as pl
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegerType, NullType

    from listclean.schema import column_types, polars_dtype

    wanted = spark_schema(pl.Schema({name: polars_dtype(kind) for name, kind in column_types().items() if name in frame.columns}))
    retyped = {
        field.name: wanted[field.name].dataType
        for field in frame.schema.fields
        if field.name in wanted.fieldNames() and isinstance(field.dataType, (IntegerType, NullType)) and field.dataType != wanted[field.name].dataType
    }
    if not retyped:
        return frame
    return frame.select(*[F.col(name).cast(retyped[name]).alias(name) if name in retyped else F.col(name) for name in frame.columns])


def from_driver(spark: Any, frame: pl.DataFrame) -> SparkFrame:  # noqa: ANN401 - a SparkSession
    """A (small) Polars frame on the driver as a Spark frame, in the types `map_chunks` hands
    frames back in (see `to_spark_arrow`)."""
    schema = spark_schema(frame.schema)
    if not frame.height:  # Arrow has no chunk to build an empty column from
        return spark.createDataFrame([], schema)
    return spark.createDataFrame(to_spark_arrow(frame, frame.schema), schema)


def output_schema(input_schema: StructType, function: ChunkFunction) -> pl.Schema:
    """The function's answer's Polars schema on frames of this input schema."""
    import polars as pl

    return function(pl.DataFrame(schema=polars_schema(input_schema))).schema


CHUNK_ROWS = 250_000  # rows a chunk function is called with at most (Spark's batches gathered)
BATCH_ROWS = 10_000  # rows an answer goes back to Spark in at most (as Spark sends them: see session.SETTINGS)


def map_chunks(frame: SparkFrame, function: ChunkFunction, chunk_rows: int = CHUNK_ROWS) -> SparkFrame:
    """`function` on every partition of `frame`, a chunk of up to `chunk_rows` rows at a time
    (Spark's small Arrow batches gathered: a chunk function's fixed cost per call is paid per
    chunk, not per batch). See the module's docstring."""
    schema = output_schema(frame.schema, function)
    target = spark_schema(schema)

    def answer(batches: list[Any]) -> Iterator[Any]:
        import pyarrow as pa

        yield from to_spark_arrow(function(from_spark_arrow(pa.Table.from_batches(batches))), schema).to_batches(max_chunksize=BATCH_ROWS)

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        gathered: list[Any] = []
        rows = 0
        for batch in batches:
            if not batch.num_rows:
                continue
            if gathered and rows + batch.num_rows > chunk_rows:
                yield from answer(gathered)
                gathered, rows = [], 0
            gathered.append(batch)
            rows += batch.num_rows
        if gathered:
            yield from answer(gathered)

    return frame.mapInArrow(run, target)


REPORT = "__listclean_report"  # a chunk's report (pickled) in a row of its own (map_chunks_reported)


class Reported:
    """A step's answer on Spark with its chunks' reports (see `map_chunks_reported`)."""

    def __init__(self, kept: SparkFrame) -> None:
        from pyspark.sql import functions as F

        self._kept = kept
        self.rows = kept.where(F.col(REPORT).isNull()).drop(REPORT)

    def reports(self) -> list[Any]:
        """Every chunk's report (a Spark job over the kept answer; the reports only reach the driver)."""
        import pickle

        from pyspark.sql import functions as F

        return [pickle.loads(payload) for (payload,) in self._kept.where(F.col(REPORT).isNotNull()).select(REPORT).toLocalIterator()]

    def release(self) -> None:
        """Free the kept answer (once the rows are written and the reports read)."""
        self._kept.unpersist()


def map_chunks_reported(frame: SparkFrame, function: Callable[[pl.DataFrame], tuple[pl.DataFrame, Any]], chunk_rows: int = CHUNK_ROWS) -> Reported:
    """`map_chunks` for a function that answers (rows, the chunk's report), as a step's chunk
    function does (validate's ValidationReport): the rows, and every chunk's report (to be
    combined as the single machine combines its chunks').

    Each chunk's answer goes back with one more row holding its report, pickled; the answer is
    kept (persisted: memory, then the executors' disks) so that writing the rows and reading the
    reports run the function once."""
    import pickle

    from pyspark import StorageLevel

    def tagged(rows: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        answered, report = function(rows)
        told = pl.DataFrame({REPORT: [pickle.dumps(report)]}, schema={REPORT: pl.Binary})
        return pl.concat([answered.with_columns(pl.lit(None, dtype=pl.Binary).alias(REPORT)), told], how="diagonal_relaxed")

    return Reported(map_chunks(frame, tagged, chunk_rows).persist(StorageLevel.MEMORY_AND_DISK))


def chunk_reports(frame: SparkFrame, function: Callable[[pl.DataFrame], Any], chunk_rows: int = CHUNK_ROWS) -> list[Any]:
    """`function` (a chunk -> a small answer: counts, a report) on every chunk of `frame`; the
    answers, pickled, are all that reaches the driver."""
    import pickle

    def answer(rows: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        return pl.DataFrame({REPORT: [pickle.dumps(function(rows))] if rows.height else []}, schema={REPORT: pl.Binary})

    return [pickle.loads(payload) for (payload,) in map_chunks(frame, answer, chunk_rows).toLocalIterator()]
