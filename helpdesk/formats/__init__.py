"""The product's date and time formats, one set per language (settings.FORMAT_MODULE_PATH).

Every page, fragment and Python-built text names one of these formats (DATETIME_FORMAT for a
moment, DATE_FORMAT for a day, TIME_FORMAT for a time of day) instead of spelling its own, so a
timestamp reads the same on the queue, the ticket page, the portal, the admin and in emails.
The SHORT_* formats equal the long ones on purpose: Django and the admin use them in places, and
there is one format per language. Input formats start with ISO (what <input type="date"> and
"datetime-local" send, and the value such inputs need).
"""
