"""The library steps: one module per command, each one entry point of the same shape.

    report = step(source, options, sink, runtime, rejects=None)

`source` is a chunk source (`listclean.importer.ImportStream` over files, or a frame turned
into one by `listclean.api`), `options` the step's dataclass, `sink` where its rows go
(`listclean.stream.sink`), `runtime` the run's chunk size, memory budget, work directory,
clock and reporter, `rejects` an optional sink for the rows it kept out. Each returns a typed
report whose `summary()` is the command's JSON summary. The CLI only parses flags into
options, calls the step and renders the report; `run` and the Python API call the same steps.
"""
