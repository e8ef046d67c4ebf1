concurrency = 2

drain_timeout = "soon"
