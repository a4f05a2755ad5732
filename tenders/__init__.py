"""The buyer side: tenders, lots, documents, amendments, clarifications and their lifecycle."""
