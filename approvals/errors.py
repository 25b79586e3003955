"""Domain errors of the install and consent workflow, with their messages as constants."""

from config.errors import ApplicationError, Conflict, NotAllowed, NotFound

PLAN_UPGRADE_NEEDED = (
    "{integration} is available on the Business and Enterprise plans. "
    "Your team is on the {plan} plan: ask the team's admin to upgrade."
)
UNKNOWN_INTEGRATION = "There is no integration called {key!r}."
NOT_A_MEMBER = "You are not a member of this team."
ADMINS_ONLY = "Only the team's admins can do this."
REQUEST_NOT_PENDING = "This request was already {status}."
DENY_NEEDS_REASON = "Give a reason: the requester sees it."
ALREADY_INSTALLED = "{integration} is already installed for this team."
NOT_INSTALLED = "{integration} is not installed for this team."
ONLY_REQUESTER_CANCELS = "Only the person who asked can cancel a request."


class PlanUpgradeNeeded(ApplicationError):
    code = "plan_upgrade_needed"
    http_status = 402


def plan_upgrade_needed(*, integration: str, plan: str, plan_label: str,
                        plans: frozenset[str]) -> PlanUpgradeNeeded:
    """The 402 for an integration the team's plan does not include (`plans` include it)."""
    return PlanUpgradeNeeded(
        PLAN_UPGRADE_NEEDED.format(integration=integration, plan=plan_label),
        detail={"plan": plan, "plans": sorted(plans)},
    )


class UnknownIntegration(NotFound):
    code = "unknown_integration"


class NotTeamMember(NotAllowed):
    code = "not_a_member"


class AdminsOnly(NotAllowed):
    code = "admins_only"


class RequestNotPending(Conflict):
    code = "request_not_pending"


class ReasonRequired(ApplicationError):
    code = "reason_required"


class AlreadyInstalled(Conflict):
    code = "already_installed"


class NotInstalled(Conflict):
    code = "not_installed"
