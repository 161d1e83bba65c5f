# Meetings on request (issue 13): the reporter asks for a meeting or call,
# the advisor proposes moments, the reporter chooses one. Used by
# js/meeting.js (report form and mailbox) and keys/src/console/meetings.rs.

meeting-weekdays = Mon Tue Wed Thu Fri Sat Sun
meeting-way-in_person = in person
meeting-way-phone = by phone
meeting-way-video = by video call
meeting-moment = { $weekday } { $day } { $time }, { $minutes } min, { $way }

# The report form and the mailbox: asking for a meeting.
meeting-form-title = Would you rather talk?
meeting-form-help = You can ask for a meeting or a call with the advisor. The advisor then proposes moments in your mailbox; you choose one.
meeting-form-wanted = I would like a meeting or call
meeting-form-ways = How would you like to talk?
meeting-form-times = Which days and times suit you?
meeting-form-times-help = For example: Tuesday or Thursday after four.
meeting-form-contact = How can we reach you? (optional)
meeting-form-contact-help = For example a phone number. Leave this empty if you only want contact through your mailbox.
meeting-error-ways = Choose at least one way.
meeting-error-too-long = This is too long: at most { $max } characters.
meeting-ask-title = Ask for a meeting or call
meeting-ask-send = Ask for a meeting
meeting-ask-sent = Your request for a meeting has been sent.

# The mailbox: the thread.
meeting-own-request = You asked for a meeting ({ $ways }).
meeting-request-times = When it suits you:
meeting-request-contact = Reachable through:
meeting-proposal-title = Proposal for a meeting
meeting-proposal-intro = { $advisor } proposes a meeting ({ $way }) at one of these moments:
meeting-proposal-place = Place or call-in details:
meeting-choose-legend = Which moment suits you?
meeting-none-suit = None of these moments suit me
meeting-choice-text = Note (with "none suit": which moments do suit you?)
meeting-choose = Choose
meeting-choice-sent = Your choice has been sent.
meeting-choose-missing = Choose a moment, or "None of these moments suit me".
meeting-none-text-needed = Write which moments do suit you.
meeting-own-choice = You chose: { $moment }
meeting-own-none = You said none of these moments suit you.
meeting-replaced = A newer proposal followed.
meeting-unreadable = This message about a meeting is incomplete or wrong and cannot be used.
meeting-agreed-title = Your appointment
meeting-agreed = Agreed: { $moment }
meeting-agreed-place = Place or call-in details: { $place }
meeting-agreed-confirmed = The advisor has confirmed the appointment.
meeting-agreed-cancelled = The advisor has cancelled the appointment.
meeting-confirmation = { $advisor } confirms the appointment: { $moment }
meeting-cancellation = { $advisor } cancels the appointment.

# The advisor console.
meeting-console-heading = Meetings
meeting-console-explain = The reporter can ask for a meeting or call. You propose moments; the reporter chooses one in the mailbox. Times are your organisation's local time.
meeting-console-requests = Requests for a meeting
meeting-console-no-requests = The reporter has not asked for a meeting (yet).
meeting-console-request-in-report = In the report
meeting-console-request-ways = Ways:
meeting-console-proposals = Proposals
meeting-console-no-proposals = No proposals yet.
meeting-console-proposal-title = Proposal of { $date } ({ $way })
meeting-console-choice = The reporter chose on { $date }: { $moment }
meeting-console-choice-none = On { $date } the reporter said no moment suits.
meeting-console-agreed = Agreed: { $moment }
meeting-console-agreed-confirmed = You or a colleague confirmed the appointment on { $date }.
meeting-console-agreed-cancelled = The appointment was cancelled on { $date }.
meeting-console-confirm = Confirm the appointment
meeting-console-cancel = Cancel the appointment
meeting-console-cancel-text = Reason for cancelling (the reporter reads this)
meeting-console-propose-heading = Propose moments
meeting-console-way = Way of talking
meeting-console-moment = Moment { $number }
meeting-console-date = Date
meeting-console-time = Start time
meeting-console-minutes = Duration in minutes
meeting-console-place = Place or call-in details (optional)
meeting-console-text = Note for the reporter (optional)
meeting-console-propose-explain = Fill in one to five moments; empty rows are skipped. The proposal is encrypted here, like a reply.
meeting-console-propose-button = Send the proposal
meeting-console-thread-request = The reporter asks for a meeting.
meeting-console-thread-proposal = Proposal for a meeting.
meeting-console-thread-choice = The reporter's choice for a meeting.
meeting-console-thread-confirmation = Confirmation or cancellation of a meeting.
meeting-console-to-section = To meetings
meeting-console-error-way = Choose a way of talking.
meeting-console-error-no-moment = Fill in at least one moment.
meeting-console-error-incomplete = A moment is not complete: fill in the date, start time and duration.
meeting-console-error-date = A moment has no existing date (yyyy-mm-dd).
meeting-console-error-time = A moment has no valid start time (hh:mm).
meeting-console-error-minutes = A meeting lasts 5 to 480 minutes.
meeting-console-error-too-long = The place (at most 500 characters) or the note (at most 2000 characters) is too long.
meeting-console-error-not-agreed = This is not (or no longer) the moment the reporter chose.
