"""The messaging pages, one module per area: the mailbox (inbox, sent, a
conversation), writing, read receipts, the direction's settings."""
