"""The statewide open-data file of stop data: one row per person stopped, in DOJ's columns."""
