"""The one streaming mechanism every step uses.

- `source.ChunkSource`: what a step reads (standardised chunks that account for their rows);
- `ahead.read_ahead`: the next chunk prepared in a second thread (applied by `Runtime.chunks`);
- `budget.MemoryBudget` and `spool.Spool`: frames kept for a later pass in bounded memory;
- `sink`: where a step's rows go (a file written atomically at the end, or frames in memory),
  tracking its own columns;
- `ledger.Ledger`: rows in = rows out + rejected + merged, and the rejects file;
- `fold`: one way to fold per-chunk reports into the run's.
"""
