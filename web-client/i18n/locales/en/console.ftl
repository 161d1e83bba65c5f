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
console-closing-reason = Reason for closing
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

## A report's end: closure, retention, hold, register (issue 11)
console-nav = Parts of the console
console-back-to-report = ← Back to the report
console-nothing-sent = Nothing was sent.
console-bad-status = This status does not exist.
console-bad-date = Please fill in a real date (yyyy-mm-dd).
console-closing-reason-needed = Please choose a reason to close this report.
console-hold-day-needed = Please choose the day until which the report is kept.
console-hold-reason-needed = Please choose the reason to keep the report longer.
console-choose = — choose —

console-lifecycle-heading = Closing and keeping
console-register-number = Register number
console-closed-on = Closed on
console-closing-reason-shown = Reason for closing
console-deletion-heading = Deletion
console-deletion-on = This report and its messages will be deleted on { $date }.
console-deletion-on-days = This report and its messages will be deleted on { $date } ({ $days ->
    [0] today
    [one] in { $days } day
   *[other] in { $days } days
}).
console-deletion-after-closure = A deletion date is set only once the report is closed (your organisation's retention period).
console-deleted-on = Deleted on
console-hold-heading = Kept longer
console-hold-none = Not set: the usual retention period applies.
console-hold-shown = Kept at least until { $date }: { $reason }
console-hold-until = Kept until { $date }
console-hold-reason-legal-proceedings = Legal proceedings
console-hold-reason-investigation = Ongoing investigation
console-hold-reason-regulator-request = Request from a regulator
console-hold-reason-reporter-request = Request from the reporter
console-hold-reason-other = Other reason
console-hold-set-heading = Keep this report longer
console-hold-explain = For this report only, with a reason. Every other advisor of your organisation sees this in the register.
console-hold-until-label = Keep until and including
console-hold-reason-label = Reason
console-hold-set-button = Keep longer
console-hold-remove-button = Stop keeping longer
console-silence-offer = The reporter has not answered since { $date }. You may close this report; it is never closed by itself.
console-silence-badge = Reporter not answering: may be closed
console-close-heading = Close the report
console-close-explain = The reporter sees in the mailbox that the report was closed, and why. The reporter's notice e-mail address is then erased. After the retention period the report is deleted; until then you can reopen it.
console-close-button = Close
console-reopen-heading = Reopen the report
console-reopen-explain = The report goes back to "In progress". Reopening is recorded.
console-reopen-button = Reopen
console-archive-button = Archive

console-history-heading = History
console-history-none = Not closed, reopened or kept longer yet.
console-history-caption = What happened to this report, oldest first
console-col-day = Date
console-col-event = Event
console-col-advisor = Advisor
console-advisor-number = advisor no. { $number }
console-event-closed = Closed: { $reason }
console-event-reopened = Reopened
console-event-hold-set = Kept longer until { $date }: { $reason }
console-event-hold-removed = Keeping longer ended
console-event-silence-warning = The reporter was warned that the report may be closed

console-deletions-soon = { $count ->
    [one] { $count } report will be deleted within { $days } days
   *[other] { $count } reports will be deleted within { $days } days
}

console-register-title = Register
console-register-explain = The register of every report of your organisation: one line per report, kept after its content is deleted. Numbers, dates and codes only, no content. Every advisor of your organisation sees the same register.
console-register-terms = Reports are deleted { $retention } months after closing; a register line is kept for { $register } months after closing.
console-register-csv = Download the register (CSV)
console-register-empty = The register is still empty.
console-register-caption = Every report of your organisation, by number

# figures and layout (issue 12)
console-skip-to-content = Skip to the content
console-nav-figures = Figures
console-nav-recipients = Recipients
console-figures-title = Figures for management
console-figures-explain = Figures per quarter or per year for the board and the works council. They are computed here, where the reports are opened; only the suppressed tables leave this console, encrypted for the confirmed management recipients and the advisors. No free text, no single reports.
console-figures-choose-heading = Choose a period
console-figures-period-label = An ended quarter or year
console-figures-no-free-dates = Only whole quarters and calendar years that have ended: with free dates, the difference between two overviews could give one report away.
console-figures-preview-button = Preview
console-figures-quarter = { $year }, quarter { $quarter }
console-figures-year = { $year } (whole year)
console-figures-already = already published
console-figures-published-heading = Published figures
console-figures-published-caption = Your organisation's figures reports, newest first
console-figures-none-published = No figures have been published yet.
console-figures-col-period = Period
console-figures-col-day = Published on
console-figures-col-sender = By
console-figures-col-open = View
console-figures-view = View
console-figures-csv = Download the tables (CSV)
console-figures-could-not-open = Cannot be opened with your key
console-figures-preview-title = Preview: { $period }
console-figures-preview-explain = This is how management will see the figures. Every number below { $threshold } is hidden, and more where needed, so that no hidden number follows from the totals or from figures published before. Computed on { $today }.
console-figures-already-on = Figures for this period were already published on { $date }. If you publish again, the recipients see both.
console-figures-back = ← All figures
console-figures-publish-heading = Publish
console-figures-publish-explain = Publishing encrypts these figures in this console for the recipients below and sends them to the server. The server cannot read them.
console-figures-to-management = For management
console-figures-to-advisors = For the advisors
console-figures-no-management = There is no management recipient that you confirmed and that the server also knows. Nothing can be published.
console-figures-unconfirmed = The server knows these management recipients, but you have not confirmed them. They receive nothing until you have compared the fingerprint aloud with them and added their line to your enrolled-keys file.
console-figures-to-recipients = Go to the recipients
console-figures-publish-button = Publish the figures
console-figures-published-now = The figures for { $period } have been published.
console-figures-published-title = Figures: { $period }
console-figures-earlier-unreadable = Figures published earlier in the same year ({ $periods }) cannot be opened with your key. Without them it cannot be checked that no hidden number follows from the difference. Ask a colleague who can open them to publish.
console-figures-changed = The figures have changed since you looked at the preview (a report was updated, for example). Look at the preview again.

console-thread-approval-request = The reporter was asked to approve draft { $draft }, version { $version }.
console-thread-approval-approve = The reporter approves draft { $draft }, version { $version }.
console-thread-approval-decline = The reporter declines draft { $draft }, version { $version }.
console-thread-approval-withdraw = The reporter withdraws the approval of draft { $draft }, version { $version }.
console-thread-approval-other = An answer of the reporter to draft { $draft }, version { $version }.
console-thread-to-forwarding = Go to Forwarding
console-thread-comment = The reporter's comment:
console-thread-forward-wish = The reporter asks for the report to be forwarded:
console-col-channel = Channel
console-col-acknowledged = Acknowledged on
console-col-feedback = Feedback on

# forwarding (issue 12)
console-recipients-title = Recipients
console-recipients-explain = The people of your organisation who receive something from this console: management recipients (board, works council reporting) receive figures reports, forward recipients (HR, a complaints committee) receive a case only when the reporter approved the exact draft. The console seals to a recipient only when you confirmed their key aloud (a line in your enrolled-keys file) and the server serves it in the same role.
console-recipients-none = Your organisation has no management or forward recipients yet. The operator invites them.
console-recipients-caption = Recipients as the server serves them, against the keys you confirmed
console-recipients-col-role = Role
console-recipients-col-label = Name
console-recipients-col-source = Key held
console-recipients-col-enrolled = Enrolled on
console-recipients-col-standing = Confirmed by you
console-recipients-role-management = Management recipient
console-recipients-role-forward = Forward recipient
console-recipients-source-token = on a hardware key
console-recipients-source-code = from an enrolment code
console-recipients-confirmed = Confirmed
console-recipients-confirmed-as = In your file as: { $label }
console-recipients-unconfirmed = Not confirmed: nothing is sealed to this key
console-recipients-confirmed-other-role = You confirmed this key as: { $role }. Nothing is sealed to it.
console-recipients-wrong-fingerprint = The fingerprint shown is not this key's. Nothing is sealed to it.
console-recipients-confirm-heading = Confirm a recipient
console-recipients-confirm-explain = A key the server names may be someone else's. Confirm it the way you confirmed your fellow advisors' keys.
console-recipients-compare-aloud = Call or meet this person. Read this fingerprint aloud and have them read theirs (shown on their enrolment page or by their hardware key). Go on only when every group matches.
console-recipients-add-line = Then add this line to your enrolled-keys file (you may change the name after the key):
console-recipients-restart = Restart the console after changing the file.
console-recipients-warn-title = Recipient key changed?
console-recipients-warn-explain = The server serves the organisation's recipients differently from the keys you confirmed. This may be a key substitution: nothing is sealed to a changed recipient. Tell the other advisors and the operator.
console-recipients-warn-not-served = { $label } ({ $role }, fingerprint { $fingerprint }) is confirmed by you, but the server no longer serves this key.
console-recipients-warn-other-role = { $label } (fingerprint { $fingerprint }) is confirmed by you as { $role }, but the server serves this key as { $served }.
console-recipients-warn-fingerprint = The server shows a fingerprint that does not belong to the key { $fingerprint }.
console-forward-heading = Forwarding
console-forward-explain = A case goes to HR or a complaints committee only when the reporter approves the exact text, attachments and recipient. Write a draft, ask the reporter, and forward once they approved. Only that recipient can read what is forwarded.
console-forward-recipients-unavailable = The server's list of recipients could not be fetched; no draft can be sent now.
console-forward-unconfirmed = { $count ->
    [one] { $count } forward recipient is not confirmed by you yet.
   *[other] { $count } forward recipients are not confirmed by you yet.
}
console-forward-wishes = The reporter asks for forwarding
console-forward-drafts = Drafts and the reporter's answers
console-forward-no-drafts = No draft has been sent to the reporter yet.
console-forward-draft-title = Draft { $draft }, version { $version }
console-forward-superseded = A newer version of this draft was sent; only the newest version can be forwarded.
console-forward-to = To:
console-forward-now = Forward now to { $label }
console-forward-change = Change this draft (sends a new version to the reporter)
console-forward-made = Forwards made
console-forward-none-made = Nothing has been forwarded.
console-forward-made-line = Forwarded to { $label } on { $date }
console-forward-list-unavailable = The forwards made could not be fetched.
console-forward-new-draft = New draft
console-forward-text-label = Text for the recipient (the reporter sees exactly this)
console-forward-attachments-legend = Attachments to forward
console-forward-recipient-legend = Recipient (one)
console-forward-no-recipient = No forward recipient is confirmed by you and served by the server. See
console-forward-request-explain = The draft is sent to the reporter's mailbox as a request for approval. Nothing goes to the recipient until the reporter approves this exact draft.
console-forward-request-button = Ask the reporter for approval
console-forward-request-new-version = Send the changed draft for approval
console-forward-standing-awaiting = Awaiting the reporter's answer
console-forward-standing-approved = Approved by the reporter
console-forward-standing-declined = Declined by the reporter
console-forward-standing-withdrawn = Approval withdrawn by the reporter
console-forward-standing-forwarded = Forwarded
console-forward-standing-broken = This request cannot be approved (its fields do not add up)
console-forward-answer-approve = Approved on { $date }
console-forward-answer-decline = Declined on { $date }
console-forward-answer-withdraw = Approval withdrawn on { $date }
console-forward-answer-other = An unknown answer on { $date }
console-forward-refused-no-draft = This draft is not in the report's thread.
console-forward-refused-not-newest = A newer version of this draft exists; only the newest version can be forwarded.
console-forward-refused-recipient-not-named = This recipient is not named in the draft the reporter saw.
console-forward-refused-recipient-unconfirmed = This recipient is not confirmed by you as a forward recipient, or the server does not serve it as one (see Recipients).
console-forward-refused-attachment-changed = An attachment is not what the draft named (its content changed); send the draft again.
console-forward-refused-no-approval = The reporter has not approved this exact draft.
console-forward-refused-declined = The reporter declined this draft.
console-forward-refused-withdrawn = The reporter withdrew their approval of this draft.
console-forward-refused-used = This approval was used for a forward already.
console-forward-refused-unknown-attachment = An attachment chosen is not one of this report.
console-forward-refused-text = Write a text (at most 60 000 characters).

# recipient page (issue 12)
recipient-title = Items for you
recipient-who = You are logged in as { $label } ({ $role }).
recipient-role-management = management / works council reporting
recipient-role-forward = HR / complaints committee
recipient-senders-file = Items are opened only when sealed by an advisor in your file of confirmed keys.
recipient-senders-config = Items are opened only when sealed by an advisor the server lists for this organisation (you gave no file of confirmed keys; the server can change this list).
recipient-untrusted-title = Not shown: sender not trusted
recipient-untrusted-item = Item { $id } of { $day } is sealed by a key that is not a trusted advisor (fingerprint { $fingerprint }). It was not opened. Tell the advisors.
recipient-unreadable-item = Item { $id } of { $day } could not be opened or is not what it should be; it is not shown.
recipient-none = There are no items for you (yet).
recipient-item-figures = Figures report { $period }
recipient-item-forward = Forwarded report of { $day }
recipient-back = Back to the list
recipient-csv = Download the tables (CSV)
recipient-forward-meta = Forwarded by { $advisor }, register number { $number }, to { $label }.
recipient-forward-read-only = Read-only: this page has no way to answer the reporter.
recipient-attachments = Attachments
recipient-bytes = { $size } bytes
recipient-attachment-refused = This attachment is not what the forwarded item names (its size or content differs) and was not given.
recipient-not-found = This item does not exist or is not for you.
