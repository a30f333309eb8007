"""Ukrainian dates without Django's trailing "р.": "8 липня 2024", so a date can end a sentence.

Numbers (1 234,5) and the short form (08.07.2024) stay Django's.
"""

DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, H:i"
MONTH_DAY_FORMAT = "j E"
