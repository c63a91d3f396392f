"""The dataset layer's Python side: PIE's released format, imports, exports and scores."""
