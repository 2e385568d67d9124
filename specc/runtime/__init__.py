"""Runtime: data -> preprocessing -> training -> evaluation, writing a run folder."""
