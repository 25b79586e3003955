"""Encryption at rest, below every app: the tink keyset (`keyset`) and `EncryptedTextField`
(`fields`), so any app's models (tokens' accounts, cards' references, Jira's connection keys)
use one field without importing another app. `tokens.crypto` and `tokens.fields` re-export
them under the names the migrations, the keyset commands and the tests have always used."""
