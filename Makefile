# `make run` starts the product (production dependencies only), `make test` runs the tests
# (the development lock), `make prod-local` runs the Procfile processes in production mode with
# TLS on loopback against local PostgreSQL and Redis, `make bench` the benchmarks.
.PHONY: run test ci bench prod-local

run:
	bash .ci/bootstrap production
	.venv/bin/python manage.py trial $(TRIAL_ARGS)

test:
	bash .ci/test

ci:
	bash .ci/run

# Benchmarks (bench/, never part of the tests): BENCH_MODE=small for the quick CI proof.
bench:
	bash .ci/bootstrap
	BENCH_MODE=$(BENCH_MODE) .venv/bin/python -m bench.run

prod-local:
	bash bin/prod-local
