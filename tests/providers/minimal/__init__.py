"""A provider package that exists only for the registry tests: enabled by adding
"tests.providers.minimal" to CONDUIT_PROVIDERS, with no other file edited."""
