# Minutes the reporter approves (issue 13): the advisor's console and the
# reporter's mailbox.

## Console

minutes-heading = Minutes
minutes-explain = After a meeting or a call, write the minutes, with a recording made with the reporter's consent if there is one. The reporter reads them in the mailbox and approves them or sends corrections; you then make a new version. Every version is kept until the report is deleted.
minutes-no-mailbox = This report has no mailbox (yet). You can write and keep minutes (for the advisors and the recovery key only); approval can only follow once the reporter has made a mailbox and you have joined it.
minutes-mailbox-conflicting = The join records of this report name different mailboxes: no answer counts as the reporter's.
minutes-check-unavailable = The attachments of an approved version could not be checked; that version is therefore not shown as approved.
minutes-title = Minutes { $number }
minutes-version = Version { $version }
minutes-approved-summary = Approved: version { $version }, approved by the reporter on { $date }
minutes-newer-open = Version { $version } still waits for the reporter.
minutes-none-approved = No version approved yet.
minutes-state-open = Waiting for the reporter
minutes-state-replaced = Replaced by a newer version
minutes-state-corrections = Corrections asked
minutes-state-approved = Approved on { $date }
minutes-state-attachment-changed = Not approved: an attachment is no longer what this version names
minutes-state-broken = Cannot be approved (its fields do not add up)
minutes-state-kept = Kept; approval only after joining a mailbox
minutes-corrections-asked = Corrections asked on { $date }
minutes-new-version = Make a new version
minutes-write = New minutes
minutes-text-label = Minutes
minutes-attachments-legend = Attachments with the minutes
minutes-file-label = Add a file (for example a recording, made with consent)
minutes-file-help = The file is encrypted here, as an attachment of this report, and then named in the minutes.
minutes-request-explain = The reporter sees exactly this text and these attachments and can approve them or send corrections.
minutes-keep-explain = The minutes are kept for the advisors and the recovery key; the reporter can read them only after joining.
minutes-send-for-approval = Send for approval
minutes-keep = Keep the minutes
minutes-post-new-version = Send the new version for approval
minutes-send-explain = This version was kept before the report was joined to a mailbox; the reporter cannot read it.
minutes-send-to-reporter = Send to the reporter for approval
minutes-refused-file = The file is empty, too large (over 256 MiB) or cannot be read.

## Mailbox

minutes-mailbox-title = Minutes of our conversation — version { $version }
minutes-mailbox-intro = { $advisor } wrote the minutes of your conversation. Read them carefully. If they are right, choose "Approve". If something is not right, write your corrections and choose "Send corrections"; you will then get a new version.
minutes-mailbox-text = The minutes
minutes-mailbox-approve = Approve
minutes-mailbox-decline = Send corrections
minutes-mailbox-comment = Your corrections (needed with "Send corrections")
minutes-mailbox-comment-required = Write what is not right.
minutes-mailbox-state-approve = You approved this version on { $day }.
minutes-mailbox-state-decline = You sent corrections on { $day }. The confidential advisor will make a new version.
minutes-mailbox-state-withdraw = You withdrew your approval on { $day }.
minutes-mailbox-own-approve = You approved the minutes (version { $version }).
minutes-mailbox-own-decline = You sent corrections to the minutes (version { $version }).
minutes-mailbox-own-withdraw = You withdrew your approval of the minutes (version { $version }).
minutes-mailbox-sent-approve = Your approval was encrypted and sent.
minutes-mailbox-sent-decline = Your corrections were encrypted and sent.
minutes-mailbox-superseded = There is a newer version of these minutes. Only that one can be answered.
