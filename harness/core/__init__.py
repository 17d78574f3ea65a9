"""The op core: what an op is, its seeded cases, the comparison, judging a case, and the
verdict records."""
