"""What the pre-consent page says of Jira Server: what is read, and its one access level."""

from __future__ import annotations

from integrations.providers import ConsentSpec

ACCESS = (
    "read and write access",
    "Jira Server's OAuth 1.0a has no finer scopes: Conduit reads the issues you link and "
    "creates the issues you ask for, in the projects you may use in Jira.",
)

CONSENT = ConsentSpec(
    reads=("The issues you paste, open or link to a card, with your Jira account",
           "The projects and issue types you may create issues in"),
    scopes=(ACCESS,),
)
