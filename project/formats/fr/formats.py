"""French dates as the browser writes them: `Intl.DateTimeFormat("fr", {dateStyle: "medium",
timeStyle: "short"})` gives "2 déc. 2026, 09:46". Django's abbreviated French months ("N") are
ICU's except "janv." and "févr.", which locale/fr/LC_MESSAGES/django.po sets. docs/ui.md."""

from django.utils.translation import pgettext_lazy

DATE_FORMAT = "j N Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j N Y, H:i"
SHORT_DATE_FORMAT = "j N Y"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
MONTH_DAY_FORMAT = "j N"
YEAR_MONTH_FORMAT = "F Y"

# Named here so that makemessages keeps them in locale/fr/LC_MESSAGES/django.po, where they
# override Django's French "jan." and "fév." with ICU's (what the browser writes).
ICU_MONTHS = (pgettext_lazy("abbrev. month", "Jan."), pgettext_lazy("abbrev. month", "Feb."))
