# The two commands of the README: `make run` starts the product, `make test` runs the tests.
.PHONY: run test ci

run:
	bash .ci/bootstrap
	.venv/bin/python manage.py trial $(TRIAL_ARGS)

test:
	bash .ci/test

ci:
	bash .ci/run
