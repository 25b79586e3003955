from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Connected accounts"

    def ready(self) -> None:
        from approvals.hooks import (
            register_account_holders,
            register_account_revoker,
            register_console_panel,
        )
        from tokens import console
        from tokens.services import accounts_revoke_for

        # Uninstall for team / for me revoke the accounts through tokens' one revocation path.
        register_account_revoker(accounts_revoke_for)
        register_account_holders(console.account_holders)
        register_console_panel(console.connections_health_panel)
        register_console_panel(console.revocations_waiting_panel)
        from integrations.providers.platform import platform_register
        from tokens.services.platform import account_call_for

        # Provider packages call with a person's own account through this (Jira's webhook).
        platform_register(account_call=account_call_for)
        from tokens.account_cache import connect_invalidation

        connect_invalidation()
