# The tenant's information page (server/src/pages/info.rs): no script,
# printed as well as read. Plain language: the reader may be upset or
# afraid, and may read this before deciding to report at all.

info-link = About this reporting channel
info-title = About this reporting channel
info-toc = On this page

info-intro-title = What this reporting channel is for
info-intro-default-1 = Here you can report a suspected wrongdoing or unwanted behaviour at { $tenant } to a confidential advisor. For example fraud, a danger to safety or health, intimidation, bullying or discrimination.
info-intro-default-2 = You may report anonymously or with your name. You may also just ask a question first, or ask for a conversation. A confidential advisor listens, thinks along with you and does nothing without your consent.

info-advisors-title = Who reads your report
info-advisors-intro = These are the confidential advisors of this reporting channel. When you report, you choose which of them may read your report.
info-advisors-none = At the moment no confidential advisor receives reports.

info-confidential-title = What stays confidential, and its limits
info-confidential-1 = Your report is encrypted in your own browser before it is sent. Only the confidential advisors you choose can read it, and a recovery key the organisation keeps offline in case no advisor can reach your report any more. The people who run this website cannot read your report.
info-confidential-2 = Your identity stays secret. Your name, or anything by which you could be recognised, is only passed on with your explicit consent in writing.
info-confidential-3 = The law makes exceptions. Where the law requires it, for example in criminal proceedings, on a court order or in an investigation by a competent authority, your identity may be given without your consent to whoever is entitled to it. You are told beforehand, with the reason, unless that would endanger the investigation or the proceedings.
info-confidential-4 = Without your consent the confidential advisor shares the content of your report with nobody. If something needs to be passed on, for example to HR or a complaints committee, the advisor asks for your approval first.
info-confidential-5 = Whoever reports in good faith is protected against retaliation, such as dismissal, transfer or intimidation, by the Dutch Whistleblower Protection Act (Wet bescherming klokkenluiders). So is whoever helps you.

info-terms-title = Time limits
info-months = { $count ->
    [one] { $count } month
   *[other] { $count } months
}
info-terms-acknowledgement = Within { $days } you receive an acknowledgement that your report was received.
info-terms-feedback = Within { $months } after that acknowledgement you hear what has been done with your report.
info-terms-mailbox = You read the confidential advisor's messages in your mailbox on this website, with the login code you get when you report. If you leave an e-mail address, you only get a notice that something is waiting for you, never its content.

info-retention-title = How long your report is kept
info-retention-content = The content of your report and all messages are deleted for good { $months } after the report is closed.
info-retention-register = After that the register of reports keeps only a line without content (a number, dates, the category and how the report was closed), until { $months } after closing.
info-retention-silence = If you do not respond for { $weeks } weeks, the confidential advisor may close your report. You get a warning in your mailbox first.
info-retention-hold = Only where it is necessary, for example for legal proceedings or an investigation by a regulator, may a report be kept longer.

info-privacy-title = Privacy statement
info-privacy-default-1 = { $tenant } uses the data in a report only to handle the report, as the Dutch Whistleblower Protection Act requires.
info-privacy-default-2 = This website stores no IP addresses and nothing about your browser, sets no cookies to follow you and loads nothing from other websites. This page does not even use JavaScript.
info-privacy-default-3 = What you report can only be read by the confidential advisors you choose. It is kept as long as stated above, and deleted after that.
info-privacy-default-4 = You have the right to see, correct or have deleted your data, as far as the law allows. Ask for it through your mailbox. If you disagree with how your data is handled, you can complain to the Dutch Data Protection Authority (Autoriteit Persoonsgegevens).

info-meldregeling-title = The organisation's reporting procedure
info-meldregeling-pdf = Read the reporting procedure (PDF, { $size })
info-meldregeling-none = The reporting procedure is not published here (yet). Ask a confidential advisor or your organisation for it.

info-channels-title = Reporting outside the organisation
info-channels-intro = You may also report directly to a body outside the organisation, instead of or after a report here. The Dutch Whistleblowers Authority (Huis voor Klokkenluiders) gives free and confidential advice. About a particular field you can report to its competent authority or regulator.
info-channels-own = Also for this organisation
info-channel-designated = Competent authority under the Dutch Whistleblower Protection Act.
info-channel-website = Website
info-channel-phone = Phone
info-channels-reviewed = This list was last checked on { $day }.
