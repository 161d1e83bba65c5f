# The pages of management recipients (directie / OR-rapportage) and forward
# recipients (HR / klachtencommissie): enrolment with an enrolment code and
# the management page (server/src/pages/management.rs,
# web-client/js/management.js). Plain, businesslike language.

## Both pages
mgmt-noscript = This page needs JavaScript: your own browser uses it to make and use your key and to open what is encrypted for you. Turn JavaScript on, or use another browser. Without JavaScript this page does nothing.
mgmt-footer = What you receive here is encrypted for your own key. The people who run this website cannot read it. You never receive reports themselves, only figures or a case forwarded to you with the reporter's consent.
mgmt-role-management = Recipient of figures reports (board / works council reporting)
mgmt-role-forward = Recipient of forwarded cases (HR / complaints committee)

## Enrolment page
enrol-title = Enrol as a recipient
enrol-intro = You have been invited to receive figures reports or forwarded cases from the confidential advisors of { $tenant }. Your browser now makes an enrolment code. Your key is made from that code; the server only gets its public part.
enrol-how-1 = You make an enrolment code and write it down.
enrol-how-2 = Your browser makes your key from the code and enrols its public part.
enrol-how-3 = You read the fingerprint of your key aloud to the confidential advisor, who checks it.
enrol-how-4 = Then you open the reporting page with your code.
enrol-start = Make an enrolment code
enrol-no-invitation = This link holds no valid invitation. Use the complete link you received from the administrator (including everything after the # sign), or ask for a new one.
enrol-code-title = Your enrolment code
enrol-code-explain = With this code you open the reporting page. It is the only key to what is encrypted for you.
enrol-code-warning = Write this code down and keep it in a safe place, away from your computer. Anyone with this code can read what you receive. If you lose it, nobody can issue it again: you then need a new invitation, and what was encrypted for the old code stays unreadable.
enrol-copy = Copy
enrol-download = Download
enrol-print = Print
enrol-confirm = To check, type the last four characters of your code
enrol-confirm-button = I have kept my code: enrol
enrol-done-title = You are enrolled
enrol-done-role = Role
enrol-done-label = Name
enrol-fingerprint-title = Fingerprint of your key
enrol-fingerprint-explain = Read this fingerprint aloud to the confidential advisor, for example on the phone. Only when it matches is anything encrypted for you. This way the advisor knows for sure that this key is yours and not someone else's.
enrol-to-management = To the reporting page

## Management page
mgmt-title = Figures reports and forwarded cases
mgmt-login-intro = Log in with the enrolment code you wrote down when you enrolled.
mgmt-code = Enrolment code
mgmt-code-help = 24 characters, for example ABCD-EFGH-JKMN-PQRS-TVWX-YZ01. Upper or lower case and dashes do not matter.
mgmt-login = Log in
mgmt-lost = Lost your code? It cannot be issued again. Ask the administrator for a new invitation and read the new fingerprint aloud to the confidential advisor.
mgmt-figures-title = Figures reports
mgmt-figures-none = There are no figures reports for you yet.
mgmt-forwards-title = Forwarded cases
mgmt-forwards-none = No cases have been forwarded to you.
mgmt-view-close = Close
mgmt-print = Print or save as PDF
mgmt-csv = Download CSV
mgmt-logout = Log out

## Texts the scripts show
mgmt-js-code-file-title = Enrolment code for { $tenant }
mgmt-js-code-file-where = Reporting page: { $url }
mgmt-js-code-file-warning = Keep this code in a safe place. If you lose it, nobody can issue it again.
mgmt-js-making-key = Your key is being made. This takes a few seconds.
mgmt-js-enrolling = Your key is being enrolled…
mgmt-js-invitation-refused = The invitation is not (or no longer) valid: expired, already used or unknown. Ask the administrator for a new one. Your code was not enrolled; throw it away.
mgmt-js-already-enrolled = This key is already enrolled.
mgmt-js-fingerprint-differs = The server names another fingerprint than your browser computed. Do not read it aloud: contact the confidential advisor.
mgmt-js-logging-in = Logging in. This takes a few seconds.
mgmt-js-login-failed = Logging in failed. Check your enrolment code. If your enrolment was withdrawn, ask the administrator for a new invitation.
mgmt-js-signed-in-as = Logged in as { $label } · { $role }
mgmt-js-unverified = An item could not be verified and is therefore not shown. It may not come from a confidential advisor of this organisation. Tell the confidential advisor about it.
mgmt-js-period-quarter = Quarter { $quarter } of { $year }
mgmt-js-period-year = Year { $year }
mgmt-js-posted-on = sent on { $day }
mgmt-js-open-figures = View: { $period }
mgmt-js-forward-from = Forwarded by { $advisor } on { $day } · register number { $number }
mgmt-js-forward-to = To: { $label }
mgmt-js-forward-readonly = This is what the reporter approved, exactly as it is. You cannot reply here: the reporter remains unknown to you unless this text says otherwise.
mgmt-js-attachment-wrong = This attachment is not the one the confidential advisor named. It was not opened or saved. Tell the confidential advisor about it.
mgmt-js-days-one = { $days } day
mgmt-js-days-other = { $days } days
mgmt-js-figures-unreadable = This figures report has a form this page does not know and is not shown.
