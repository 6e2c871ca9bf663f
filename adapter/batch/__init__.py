"""``spinemets batch``: a whole Bulk Data export scored in partitions by patient.

source.py (the export's files and byte ranges) and export.py (a server's ``$export``) → the first
pass, partition.py (each resource line to its patient's partition) → the second pass, results.py
(each partition through the pipeline of ``spinemets score``) and output.py (files with ids and
relative references, replaced atomically) → run.py (the two passes and the manifest) over an
engine of engines.py (local processes, or a Dask cluster).
"""
