"""English dates as the browser writes them: `Intl.DateTimeFormat("en", {dateStyle: "medium",
timeStyle: "short"})` gives "Dec 2, 2026, 9:46 AM". ICU itself puts a narrow no-break space
before AM; Chromium's V8 writes a plain space (changed back for web compatibility), and so do we.
docs/ui.md."""

DATE_FORMAT = "M j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "M j, Y, g:i A"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y, g:i A"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
