# The two commands of the README: `make run` starts the product, `make test` runs the tests.
.PHONY: run test ci bench

run:
	bash .ci/bootstrap
	.venv/bin/python manage.py trial $(TRIAL_ARGS)

test:
	bash .ci/test

ci:
	bash .ci/run

# Benchmarks (bench/, never part of the tests): BENCH_MODE=small for the quick CI proof.
bench:
	bash .ci/bootstrap
	BENCH_MODE=$(BENCH_MODE) .venv/bin/python -m bench.run
