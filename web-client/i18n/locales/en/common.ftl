# Shared by every part of meldkluis.
language-name = English
product-name = meldkluis
days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
months = January February March April May June July August September October November December
date = { $day } { $month } { $year }
# Report statuses (domain.md), as the reporter and the advisor read them.
status-new = New
status-acknowledged = Receipt acknowledged
status-in_progress = In progress
status-awaiting_reporter = Waiting for the reporter
status-feedback_given = Feedback given
status-closed = Closed
status-archived = Archived
