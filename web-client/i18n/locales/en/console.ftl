# The advisor console (keys/src/console): the advisor's own program on 127.0.0.1.
console-title = meldkluis console for confidential advisors
console-your-key = Your key:
console-language = Language
console-fingerprint = Fingerprint of your key
console-back = Back to the start
console-back-to-list = ← All reports

console-not-admitted-title = No access
console-not-admitted = Open the console through the address shown in the terminal when you started it. Other programs and websites get no access.

console-login-title = Log in
console-login-explain = The console logs in to the server with the key on your hardware token. No password and no key goes to the server.
console-login-button = Log in with my key

console-warn-title = Warning: the server shows other keys than the ones you confirmed
console-warn-explain = Reporters encrypt their report to the keys the server shows. If that list differs from the keys you compared aloud at enrolment, someone else may be able to read along. Contact the other advisors and the operator before you go on.
console-warn-unknown-key = The server shows an advisor key you did not confirm: { $fingerprint }
console-warn-missing-key = A key you confirmed is missing from the server: { $fingerprint }
console-warn-wrong-fingerprint = The server shows a wrong fingerprint for the key { $fingerprint }
console-warn-recovery = The server shows another recovery key than the one you confirmed: { $fingerprint }

console-error-title = That did not work
console-error-login = You are not logged in (any more). Log in again.
console-error-not-found = This report does not exist or is not for you.
console-error-server = The server refused the request ({ $code }).
console-error-unreachable = The server cannot be reached.
console-error-other = Something went wrong. Please try again.
console-could-not-open = This could not be opened.

console-swapped-title = Stop: the server now shows a different report under this number
console-swapped-explain = The report { $id } that the server serves now was not written by the same reporter (another mailbox key) as the report you read, or it is not the same report. A server that was broken into could try this to get your reply sealed to a key of its own.
console-swapped-nothing-sent = Nothing was sent: no reply, no status, no date, no category, no export.
console-swapped-what-now = Do not answer this report for now. Tell the other advisors and the operator, and compare what they see.
console-error-too-large = The server sent an answer that is too large; it was refused.


console-deadline-acknowledgement = Acknowledge receipt by { $date }
console-deadline-feedback = Feedback by { $date }
console-deadline-agreed = Agreed update date { $date }
console-overdue = { $days ->
    [one] { $days } day overdue
   *[other] { $days } days overdue
}
console-due-soon = { $days ->
    [0] today
    [one] { $days } day left
   *[other] { $days } days left
}
console-on-track = { $days ->
    [one] { $days } day left
   *[other] { $days } days left
}

console-reports-title = Reports
console-reports-caption = Reports encrypted to you, newest first
console-today = Deadlines counted from { $date }.
console-no-reports = There are no reports for you yet.
console-col-received = Received
console-col-status = Status
console-col-deadlines = Deadlines
console-col-category = Category
console-col-thread = Thread
console-category-none = Not recorded
console-thread-counts = { $messages ->
    [one] { $messages } message
   *[other] { $messages } messages
}, { $attachments ->
    [one] { $attachments } attachment
   *[other] { $attachments } attachments
}

console-report-title = Report { $id }
console-received = Received on { $date }.
console-via-grant = You read this report through a key grant (after a new key or a recovery), not directly.
console-report-content = The report
console-messages = Messages
console-no-messages = No messages yet.
console-attachments = Attachments
console-no-attachments = No attachments.
console-size = { $kib } KiB
console-export = Export (save on this computer)
console-export-note = Nothing of this report is kept on disk, unless you export an attachment on purpose.
console-from-reporter = Reporter
console-from-you = You
console-from-advisor = An advisor
console-from-unknown = Unknown sender

console-reply = Reply
console-reply-label = Your message to the reporter (also readable by the other advisors of this report)
console-reply-send = Encrypt and send

console-agreed-date = Agreed update date (optional)
console-closing-reason = Reason for closing (only when closing or archiving)
console-reason-resolved = Resolved
console-reason-agreed-with-reporter = Agreed with the reporter
console-reason-no-response-from-reporter = No response from the reporter
console-reason-withdrawn = Withdrawn
console-reason-not-a-report = Not a report
console-reason-other = Other
console-status-heading = Status and agreed update date
console-save = Save

console-category-heading = Category for the aggregate figures
console-category-explain = The category you choose is counted, without any content, in the aggregate figures for management (never counts below 5).

## An opened report (web-client/REPORT-CONTENT.md)
console-reporter = Reporter
console-reporter-anonymous = Anonymous
console-reporter-named = Name: { $name }
console-reporter-contact = Can be reached at: { $contact }
console-consent-yes = The employer may see the report with the name.
console-consent-no = The employer may not see the report.
console-sealed-to = Sealed to
