"""The worlds benchmarks (and some tests) build: sandbox libraries with known content."""
