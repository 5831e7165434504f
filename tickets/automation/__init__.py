"""Workflow automation: rules are data (tickets.models.automation), this package runs them.

- registry: the actions a rule may use; other apps add theirs ("send survey", "send WhatsApp
  template") from their AppConfig.ready(), and an action is only offered once registered.
- schema: validation of a rule's conditions and actions (clear messages in the admin).
- conditions: a rule's conditions as one queryset filter (plus the business-hours check).
- actions: the built-in actions, each a call to a ticket service.
- engine: event listeners (tickets.hooks), the set-based beat sweeps, claiming runs (unique per
  rule, ticket and trigger occurrence) and executing them without loops.
"""
