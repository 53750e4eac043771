"""Channels: transport (HTTP, SFTP, portal, mail) and nothing about business rules."""
