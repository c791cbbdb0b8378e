"""The animators' space: an admin's personal link to the dashboard, the uploads with
their preview, deliverability, dead-letter queues, exports and the activity of admins."""
