"""Bank reconciliation: bank statement lines matched to what they pay.

A reconciled bank line gets a clearing entry that moves its amount from the
bank suspense account to its counterparts; undoing it reverses that entry
(docs/reconciliation.md).
"""
