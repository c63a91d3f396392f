"""Group `dataset`: PIE's released dataset as a source (`pie_pairs`) and the versioned exports."""
