# Meetings on request (issue 13): the reporter asks for a meeting or call,
# the advisor proposes moments, the reporter chooses one. Used by
# js/meeting.js (report form and mailbox) and keys/src/console/meetings.rs.

meeting-weekdays = ma di wo do vr za zo
meeting-way-in_person = persoonlijk
meeting-way-phone = telefonisch
meeting-way-video = via een videogesprek
meeting-moment = { $weekday } { $day } { $time }, { $minutes } min, { $way }

# The report form and the mailbox: asking for a meeting.
meeting-form-title = Liever praten?
meeting-form-help = U kunt om een gesprek of telefoongesprek met de vertrouwenspersoon vragen. De vertrouwenspersoon stelt dan in uw postbus momenten voor; u kiest er een.
meeting-form-wanted = Ik wil graag een gesprek of telefoongesprek
meeting-form-ways = Hoe wilt u spreken?
meeting-form-times = Welke dagen en tijden passen u?
meeting-form-times-help = Bijvoorbeeld: dinsdag of donderdag na vier uur.
meeting-form-contact = Hoe kunnen we u bereiken? (niet verplicht)
meeting-form-contact-help = Bijvoorbeeld een telefoonnummer. Laat dit leeg als u alleen via uw postbus contact wilt.
meeting-error-ways = Kies ten minste één manier.
meeting-error-too-long = Dit is te lang: ten hoogste { $max } tekens.
meeting-ask-title = Een gesprek of telefoongesprek vragen
meeting-ask-send = Gesprek vragen
meeting-ask-sent = Uw vraag om een gesprek is verstuurd.

# The mailbox: the thread.
meeting-own-request = U vroeg om een gesprek ({ $ways }).
meeting-request-times = Wanneer het u past:
meeting-request-contact = Bereikbaar via:
meeting-proposal-title = Voorstel voor een gesprek
meeting-proposal-intro = { $advisor } stelt een gesprek voor ({ $way }) op een van deze momenten:
meeting-proposal-place = Plaats of inbelgegevens:
meeting-choose-legend = Welk moment past u?
meeting-none-suit = Geen van deze momenten past
meeting-choice-text = Toelichting (bij "geen moment past": welke momenten passen u wel?)
meeting-choose = Kiezen
meeting-choice-sent = Uw keuze is verstuurd.
meeting-choose-missing = Kies een moment, of "Geen van deze momenten past".
meeting-none-text-needed = Schrijf welke momenten u wel passen.
meeting-own-choice = U koos: { $moment }
meeting-own-none = U liet weten dat geen van deze momenten past.
meeting-replaced = Hierna kwam een nieuwer voorstel.
meeting-unreadable = Dit bericht over een gesprek is onvolledig of onjuist en kan niet worden gebruikt.
meeting-agreed-title = Uw afspraak
meeting-agreed = Afgesproken: { $moment }
meeting-agreed-place = Plaats of inbelgegevens: { $place }
meeting-agreed-confirmed = De vertrouwenspersoon heeft de afspraak bevestigd.
meeting-agreed-cancelled = De vertrouwenspersoon heeft de afspraak afgezegd.
meeting-confirmation = { $advisor } bevestigt de afspraak: { $moment }
meeting-cancellation = { $advisor } zegt de afspraak af.

# The advisor console.
meeting-console-heading = Gesprekken
meeting-console-explain = De melder kan om een gesprek of telefoongesprek vragen. U stelt momenten voor; de melder kiest er een in de postbus. Tijden zijn de plaatselijke tijd van uw organisatie.
meeting-console-requests = Vragen om een gesprek
meeting-console-no-requests = De melder heeft (nog) niet om een gesprek gevraagd.
meeting-console-request-in-report = In de melding
meeting-console-request-ways = Manieren:
meeting-console-proposals = Voorstellen
meeting-console-no-proposals = Nog geen voorstellen.
meeting-console-proposal-title = Voorstel van { $date } ({ $way })
meeting-console-choice = De melder koos op { $date }: { $moment }
meeting-console-choice-none = De melder liet op { $date } weten dat geen moment past.
meeting-console-agreed = Afgesproken: { $moment }
meeting-console-agreed-confirmed = U of een collega bevestigde de afspraak op { $date }.
meeting-console-agreed-cancelled = De afspraak is afgezegd op { $date }.
meeting-console-confirm = Afspraak bevestigen
meeting-console-cancel = Afspraak afzeggen
meeting-console-cancel-text = Reden van afzeggen (de melder leest dit)
meeting-console-propose-heading = Momenten voorstellen
meeting-console-way = Manier van spreken
meeting-console-moment = Moment { $number }
meeting-console-date = Datum
meeting-console-time = Begintijd
meeting-console-minutes = Duur in minuten
meeting-console-place = Plaats of inbelgegevens (niet verplicht)
meeting-console-text = Toelichting voor de melder (niet verplicht)
meeting-console-propose-explain = Vul één tot vijf momenten in; lege regels worden overgeslagen. Het voorstel wordt hier versleuteld, zoals een antwoord.
meeting-console-propose-button = Voorstel versturen
meeting-console-thread-request = De melder vraagt om een gesprek.
meeting-console-thread-proposal = Voorstel voor een gesprek.
meeting-console-thread-choice = Keuze van de melder voor een gesprek.
meeting-console-thread-confirmation = Bevestiging of afzegging van een gesprek.
meeting-console-to-section = Naar gesprekken
meeting-console-error-way = Kies een manier van spreken.
meeting-console-error-no-moment = Vul ten minste één moment in.
meeting-console-error-incomplete = Een moment is niet volledig ingevuld: vul datum, begintijd en duur in.
meeting-console-error-date = Een moment heeft geen bestaande datum (jjjj-mm-dd).
meeting-console-error-time = Een moment heeft geen geldige begintijd (uu:mm).
meeting-console-error-minutes = De duur van een gesprek is 5 tot 480 minuten.
meeting-console-error-too-long = De plaats (ten hoogste 500 tekens) of de toelichting (ten hoogste 2000 tekens) is te lang.
meeting-console-error-not-agreed = Dit is niet (meer) het moment dat de melder koos.
