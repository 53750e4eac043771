"""Codecs: reading and writing records in JSON, XML and tabular (XLSX, pipe-delimited) forms."""
