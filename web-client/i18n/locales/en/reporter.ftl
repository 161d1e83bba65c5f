# The reporter's pages (server/src/pages) and the texts their scripts show
# (web-client/js). Plain language: the reader may be upset or afraid.

## Every page
page-skip = Skip to content
page-language = Language
page-footer = Your report is encrypted in your own browser. Only the confidential advisors you choose can read it; the people who run this website cannot.
page-noscript = This page needs JavaScript: your own browser uses it to encrypt your report before anything is sent. Turn JavaScript on, or use another browser. Without JavaScript this page sends nothing.
page-emergency = Are you in immediate danger? Call 112.
page-logo = Logo of { $tenant }
page-not-found-title = Page not found
page-error-title = Something went wrong
page-error-back = To the start page

## Start page
start-title = Report it safely
start-intro = Here you can report unwanted behaviour or an integrity breach at { $tenant }: for example intimidation, bullying, discrimination, aggression, fraud or theft. You may stay anonymous.
start-readers = Your report is read by the confidential advisors:
start-report = Make a report
start-mailbox = Go to my mailbox
start-how-title = How does it work?
start-how-1 = You fill in a short questionnaire. You decide whether you give your name.
start-how-2 = Your browser encrypts the report. Then you get a login code. Keep it safe: if you lose it, nobody can give you a new one.
start-how-3 = With the code you open your mailbox. There you see the status and can exchange messages with the confidential advisor.
start-how-4 = Within { $ack_days } you receive an acknowledgement. Within { $feedback_months } months after that you hear what is being done with your report.
start-not-ready = This organisation cannot receive reports at the moment. Please try again later, or contact a confidential advisor in another way.

## Report form
report-title = Make a report
report-intro = Take your time. Only the fields marked "required" must be filled in. Nothing is sent before you press "Encrypt and send report".
report-required = required
report-category = What is your report about?
report-category-none = I don't know, or I'd rather not say
report-questions = Your report
report-yes = Yes
report-no = No
report-identity = Do you want to give your name?
report-identity-anonymous = No, I stay anonymous
report-identity-anonymous-help = Then also leave out of your answers anything that leads to you, if you don't want that.
report-identity-named = Yes, I give my name
report-name = Your name
report-contact = How can the confidential advisor reach you? (optional)
report-contact-help = For example a phone number. You can also simply exchange messages in your mailbox.
report-consent = The employer may see this report with my name
report-consent-help = Without your consent the employer never sees your report. The confidential advisor first discusses with you what happens with your report.
report-advisors = Who may read your report?
report-advisors-help = Leave out a confidential advisor who is involved in the matter: your report is then not encrypted for them. Choose at least one.
report-attachments = Attachments (optional)
report-attachments-help = For example photos, screenshots or documents, together at most { $max }. Attachments are encrypted in your browser too.
report-notice = A notice when there is an answer (optional)
report-notice-email = Your e-mail address
report-notice-help = Only to let you know that a new message is waiting in your mailbox. The address is stored apart from your report and never shown to the confidential advisor or the employer. A private address is better than your work address. When your report is closed, you get one last e-mail about that and the address is deleted.
report-send = Encrypt and send report
report-sending = Your report is being encrypted and sent. This takes a few seconds.

## After sending: the login code
code-title = Your report has been sent
code-received = Your report was received on { $date }.
code-your-code = Your login code
code-explain = With this code you open your mailbox. There you will see the confidential advisor's answer.
code-warning = Keep this code in a safe place. Anyone with this code can open your mailbox. If you lose the code, nobody can give you a new one: not even us.
code-copy = Copy
code-download = Download
code-print = Print
code-confirm = To check, type the last four characters of your code
code-confirm-button = I have kept my code
code-file-title = Login code for your report at { $tenant }
code-file-where = Your mailbox: { $url }
code-file-warning = Keep this code in a safe place. If you lose it, nobody can give you a new one.

## After sending: next steps
next-title = What happens now?
next-acknowledgement = By { $date } at the latest, the confidential advisor confirms that your report was received.
next-feedback = By { $date } at the latest, you hear what is being done with your report.
next-mailbox = Look in your mailbox now and then. The confidential advisor may ask you questions there.
next-tips-title = Tips for now
tip-1 = Write down what happened, when and where, and who was there. Do it as soon as you can, while you still remember it well.
tip-2 = Keep messages, e-mails and other evidence. Do not keep them only on a computer or phone from work.
tip-3 = Talk to someone you trust. You do not have to carry this alone.
tip-4 = Are you suffering from it, for example sleeping badly or feeling anxious? Talk to your GP or the company doctor.
tip-5 = Are you in immediate danger? Call 112.
next-to-mailbox = Go to my mailbox

## Mailbox
mailbox-title = Your mailbox
mailbox-login-intro = Log in with the login code you received after sending your report.
mailbox-code = Login code
mailbox-code-help = 24 characters, for example ABCD-EFGH-JKMN-PQRS-TVWX-YZ01. Upper or lower case and dashes do not matter.
mailbox-login = Log in
mailbox-lost = Lost it? A login code cannot be made again. You can make a new report that refers to your earlier one.
mailbox-logging-in = Logging in. This takes a few seconds.
mailbox-status = Status
mailbox-received = Received on
mailbox-agreed-date = Agreed update date
mailbox-agreed-none = Not agreed yet
mailbox-acknowledgement = Acknowledgement of receipt
mailbox-feedback = Feedback
js-due-by = by { $day }
js-acknowledged-on = acknowledged on { $day }
js-feedback-given-on = given on { $day }
mailbox-thread = Messages
mailbox-your-report = Your report
mailbox-no-messages = There are no messages yet.
mailbox-reply = Send a message
mailbox-reply-text = Your message
mailbox-reply-attachments = Attachments (optional)
mailbox-reply-send = Encrypt and send message
mailbox-notice = A notice when there is an answer
mailbox-notice-email = E-mail address
mailbox-notice-help = Only to let you know that there is a new message. The address is stored apart from your report and never shown to the confidential advisor. When your report is closed, you get one last e-mail about that and the address is deleted.
mailbox-notice-save = Save
mailbox-notice-remove = Remove
mailbox-logout = Log out

## Texts the scripts show
js-loading = Loading…
js-deriving = Your key is being made. This takes a few seconds.
js-encrypting = Your report is being encrypted…
js-sending = Sending…
js-uploading = Attachment { $number } of { $count } is being encrypted and sent…
js-sent = Your report has been sent.
js-network-error = There is no connection to the server. Nothing is lost: please try again.
js-retry = Try again
js-server-error = The server answered with an error: { $message }
js-bad-answer = The server gave an answer this page cannot read. Nothing has been lost: please try again later. If this goes on, contact the confidential advisor.
js-code-refused = The code of this page could not be verified and has therefore not been used. Nothing has been sent. Please try again later, or over another network.
js-error-summary = There are { $count } fields you still need to fill in or correct:
js-field-required = Please fill in this field.
js-field-choose = Please choose an answer.
js-field-email = Please fill in a valid e-mail address, or leave this field empty.
js-advisors-none = Please choose at least one confidential advisor.
js-attachments-too-large = The attachments are too large together (at most { $max }).
js-copied = The code has been copied.
js-copy-failed = Copying did not work. Write the code down or download it.
js-confirm-mismatch = Those are not the last four characters of your code. Please look again.
js-code-wrong-length = The code has 24 characters; you typed { $found }.
js-code-invalid-character = Character { $position } of your code cannot be right. Please check it.
js-code-check-failed = There is a typing error in the code. Please check it.
js-login-failed = Logging in failed. Please check your login code.
js-you = You
js-advisor = Confidential advisor
js-unverified = This message could not be verified and is therefore not shown. It may not come from your confidential advisor. Do not act on it, and tell the confidential advisor about it.
js-report-unreadable = Your report could not be opened. Please contact the confidential advisor.
js-report-substituted = The server showed something other than your own report. So your report and the messages are not shown now, and you cannot send anything here: this way nobody can make you read or send something outside your confidential advisors. Please contact the confidential advisor.
js-message-sent = Your message has been sent.
js-message-empty = Please write a message first.
js-notice-saved = The e-mail address has been saved.
js-notice-removed = The e-mail address has been removed.
js-download = Download: { $name }
js-attachment-missing = This attachment could not be opened.
js-attachment-substituted = The server gave a different attachment than this one. It has not been opened or saved. Please tell the confidential advisor about it.
js-size-bytes = { $size } bytes
js-size-kb = { $size } kB
js-size-mb = { $size } MB
js-anonymous = Anonymous
js-named = Name: { $name }
js-consent-yes = The employer may see the report with the name.
js-consent-no = The employer may not see the report.
js-category = Subject
js-attachments = Attachments
js-key-introduced = { $name } uses a new key from now on. This was confirmed with a key your report already knew; messages with the new key are shown as usual.
js-recovery-key-introduced = { $name } confirmed that the organisation replaced its recovery key. Your next messages are sealed to the new recovery key.
code-notice-not-saved = Your e-mail address could not be kept. Your report was received. You can add the address later in your mailbox.
code-attachments-not-sent = Your report has been received, but not all of your attachments: the server refused one. You can send them later from your mailbox with this code.
report-keys-title = Check the keys
report-keys-explain = Your report is encrypted in this browser for the keys below. To be sure nobody else can read along, compare these fingerprints with the ones your organisation publishes (for example on the intranet), or ask the confidential advisor for them. If they differ, send nothing and contact a confidential advisor in person.
report-keys-recovery = The organisation's recovery key (only needed if a confidential advisor loses their own key)
js-keys-changed = The confidential advisors' keys have changed since this page was loaded. Nothing was sent. Reload the page and check the keys.

## The mailbox: a report's end (issue 11)
mailbox-closed = Closed
js-closed-on = on { $day }
js-closed-on-reason = on { $day }; reason: { $reason }
js-deletion-on = This report and its messages will be deleted on { $day }.
js-silence-warning = If you do not answer before { $day }, your confidential advisor may close this report.
js-reason-resolved = Dealt with
js-reason-agreed_with_reporter = Closed in agreement with you
js-reason-no_response_from_reporter = No more answer received from you
js-reason-withdrawn = Withdrawn
js-reason-not_a_report = Not a report under the rules
js-reason-other = Other reason
