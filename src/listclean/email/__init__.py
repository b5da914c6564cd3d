"""Email address checks: repair, syntax (email-validator compatible), typos, domain lists,
look-alikes, the optional DNS tier, and the `validate` step that joins them.

Nothing heavy is imported here: the CLI reads the reason vocabulary at start-up.
"""
