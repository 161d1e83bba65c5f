# E-mail sent by the server (server/src/notices). A notice to a reporter
# says only that a message is waiting: never content, never the login code,
# never a link that carries a secret.
email-notice-subject = New message in your secure mailbox
email-notice-body =
    Hello,

    A new message is waiting for you in your secure mailbox at { $tenant }.

    Open your mailbox at { $url } and log in with your login code.

    This e-mail deliberately contains nothing of the message. You receive it because you gave this address with your report. You can change or remove the address in your mailbox.

# The advisors' daily digest: reports by short id and deadline only.
email-digest-subject = Report deadlines at { $tenant } on { $day }
email-digest-intro = Deadlines on { $day } of the reports at { $tenant } entrusted to you. Reports appear here only by their short id; you read their content in your own program.
email-digest-overdue = Passed:
email-digest-upcoming = Coming up:
email-digest-acknowledgement = report { $id }: acknowledgement of receipt due { $due }
email-digest-feedback = report { $id }: feedback due { $due }
email-digest-agreed_update = report { $id }: agreed update date { $due }
email-digest-late = { $days ->
    [one] { $days } day late
   *[other] { $days } days late
}
email-digest-left = { $days ->
    [0] today
    [one] { $days } day left
   *[other] { $days } days left
}
email-digest-footer = You receive this digest on every day a deadline is coming up or has passed, or a report is deleted soon.

# Issue 11: reports whose content is deleted soon (end of the retention period).
email-digest-deletions = Deleted soon (end of the retention period):
email-digest-deletion = report { $id }: content deleted on { $due }

# Issue 11: the last notice, when the report is closed (nothing of the report).
email-closure-notice-body =
    Hello,

    There is news about your report in your secure mailbox at { $tenant }.

    Open your mailbox at { $url } and log in with your login code.

    This is the last e-mail you receive about it: your e-mail address has been deleted. This e-mail deliberately contains nothing of the message.
