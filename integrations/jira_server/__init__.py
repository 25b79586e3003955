"""Jira Server / Data Center: OAuth 1.0a (RSA-SHA1) through an Application Link, REST API v2.

Same shape as every connector (STYLE.md): client.py, mapping.py, oauth.py, webhooks.py and a
provider.py registered as "jira_server"; plus checks.py (the compatibility check of the Asana for
Jira Server admin guide), and services/selectors over integrations.models.JiraServerConnection.
"""
