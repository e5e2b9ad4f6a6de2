"""Writing review files into an index: the ingest pipeline.

    files ─ check against the manifest ─ read ─ analyse (a thread, or a child
    process for large runs: worker) ─ frames of events and batches ─ write,
    commit, record in the manifest (run)

``report`` holds what a run tells its caller (IngestReport, IndexingInterrupted),
``events`` what the worker hands the writer. Importing this package loads nothing heavy.
"""
