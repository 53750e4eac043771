"""Notifications to agencies: mail queued in the database, sent by the notifier."""
