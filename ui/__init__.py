"""Streamlit rendering helpers for Casebase's pages. Only the UI imports this package;
retrieval and answering stay in ``knowledge``, file handling in ``ingest``."""
