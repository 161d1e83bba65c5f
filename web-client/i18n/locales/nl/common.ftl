# Shared by every part of meldkluis.
language-name = Nederlands
product-name = meldkluis
days = { $count ->
    [one] { $count } dag
   *[other] { $count } dagen
}
months = januari februari maart april mei juni juli augustus september oktober november december
date = { $day } { $month } { $year }
# Report statuses (domain.md), as the reporter and the advisor read them.
status-new = Nieuw
status-acknowledged = Ontvangst bevestigd
status-in_progress = In behandeling
status-awaiting_reporter = Wacht op melder
status-feedback_given = Terugkoppeling gegeven
status-closed = Afgesloten
status-archived = Gearchiveerd
