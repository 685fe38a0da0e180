"""Scheduled posting: guides and promos, schedules, slots claimed once, rotation."""
