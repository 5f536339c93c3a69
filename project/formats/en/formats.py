"""English dates as the browser writes them: `Intl.DateTimeFormat("en", {dateStyle: "medium",
timeStyle: "short"})` gives "Dec 2, 2026, 9:46 AM" (with a narrow no-break space before AM,
as ICU writes it). docs/ui.md."""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "g:i\u202fA"
DATETIME_FORMAT = "M j, Y, g:i\u202fA"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y, g:i\u202fA"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
