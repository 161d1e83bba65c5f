# The advisor console (keys/src/console): the advisor's own program on 127.0.0.1.
console-title = meldkluis-console voor vertrouwenspersonen
console-your-key = Uw sleutel:
console-language = Taal
console-fingerprint = Vingerafdruk van uw sleutel
console-back = Terug naar het begin
console-back-to-list = ← Alle meldingen

console-not-admitted-title = Geen toegang
console-not-admitted = Open de console via het adres dat in de terminal werd getoond toen u hem startte. Andere programma's en websites krijgen geen toegang.

console-login-title = Inloggen
console-login-explain = De console logt in bij de server met de sleutel op uw hardwaresleutel. Er gaat geen wachtwoord en geen sleutel naar de server.
console-login-button = Inloggen met mijn sleutel

console-warn-title = Let op: de server toont andere sleutels dan u hebt bevestigd
console-warn-explain = Melders versleutelen hun melding voor de sleutels die de server toont. Wijkt die lijst af van de sleutels die u bij de inschrijving hardop hebt vergeleken, dan kan iemand anders meelezen. Neem contact op met de andere vertrouwenspersonen en de beheerder voordat u verder werkt.
console-warn-unknown-key = De server toont een sleutel van een vertrouwenspersoon die u niet hebt bevestigd: { $fingerprint }
console-warn-missing-key = Een sleutel die u hebt bevestigd ontbreekt bij de server: { $fingerprint }
console-warn-wrong-fingerprint = De server toont een verkeerde vingerafdruk bij de sleutel { $fingerprint }
console-warn-recovery = De server toont een andere herstelsleutel dan u hebt bevestigd: { $fingerprint }

console-error-title = Dat lukte niet
console-error-login = U bent niet (meer) ingelogd. Log opnieuw in.
console-error-not-found = Deze melding bestaat niet of is niet voor u.
console-error-server = De server weigerde het verzoek ({ $code }).
console-error-unreachable = De server is niet bereikbaar.
console-error-other = Er ging iets mis. Probeer het opnieuw.
console-could-not-open = Dit kon niet worden geopend.

console-swapped-title = Stop: de server toont nu een andere melding onder dit nummer
console-swapped-explain = De melding { $id } die de server nu geeft, komt niet van dezelfde melder (een andere brievenbussleutel) als de melding die u las, of het is niet dezelfde melding. Een server waarop is ingebroken kan dit proberen om uw antwoord versleuteld te krijgen voor een eigen sleutel.
console-swapped-nothing-sent = Er is niets verstuurd: geen antwoord, geen status, geen datum, geen categorie, geen export.
console-swapped-what-now = Beantwoord deze melding voorlopig niet. Licht de andere vertrouwenspersonen en de beheerder in en vergelijk wat zij zien.
console-error-too-large = De server stuurde een te groot antwoord; dat is geweigerd.


console-deadline-acknowledgement = Ontvangstbevestiging uiterlijk { $date }
console-deadline-feedback = Terugkoppeling uiterlijk { $date }
console-deadline-agreed = Afgesproken termijn { $date }
console-overdue = { $days ->
    [one] { $days } dag te laat
   *[other] { $days } dagen te laat
}
console-due-soon = { $days ->
    [0] vandaag
    [one] nog { $days } dag
   *[other] nog { $days } dagen
}
console-on-track = { $days ->
    [one] nog { $days } dag
   *[other] nog { $days } dagen
}

console-reports-title = Meldingen
console-reports-caption = Meldingen die voor u zijn versleuteld, nieuwste eerst
console-today = Termijnen gerekend vanaf { $date }.
console-no-reports = Er zijn nog geen meldingen voor u.
console-col-received = Ontvangen
console-col-status = Status
console-col-deadlines = Termijnen
console-col-category = Categorie
console-col-thread = Gesprek
console-category-none = Niet vastgelegd
console-thread-counts = { $messages ->
    [one] { $messages } bericht
   *[other] { $messages } berichten
}, { $attachments ->
    [one] { $attachments } bijlage
   *[other] { $attachments } bijlagen
}

console-report-title = Melding { $id }
console-received = Ontvangen op { $date }.
console-via-grant = U leest deze melding via een sleuteloverdracht (na een nieuwe sleutel of herstel), niet rechtstreeks.
console-report-content = De melding
console-messages = Berichten
console-no-messages = Nog geen berichten.
console-attachments = Bijlagen
console-no-attachments = Geen bijlagen.
console-size = { $kib } KiB
console-export = Exporteren (opslaan op deze computer)
console-export-note = Niets van deze melding wordt op schijf bewaard, tenzij u een bijlage bewust exporteert.
console-from-reporter = Melder
console-from-you = U
console-from-advisor = Een vertrouwenspersoon
console-from-unknown = Onbekende afzender

console-reply = Antwoorden
console-reply-label = Uw bericht aan de melder (ook leesbaar voor de andere vertrouwenspersonen van deze melding)
console-reply-send = Versleutelen en versturen

console-agreed-date = Afgesproken termijn (optioneel)
console-closing-reason = Reden van afsluiten
console-reason-resolved = Opgelost
console-reason-agreed-with-reporter = In overleg met de melder
console-reason-no-response-from-reporter = Geen reactie van de melder
console-reason-withdrawn = Ingetrokken
console-reason-not-a-report = Geen melding
console-reason-other = Anders
console-status-heading = Status en afgesproken termijn
console-save = Opslaan

console-category-heading = Categorie voor de totaalcijfers
console-category-explain = De categorie die u kiest, wordt zonder inhoud meegeteld in de totaalcijfers voor de directie (nooit aantallen onder de 5).

## An opened report (web-client/REPORT-CONTENT.md)
console-reporter = Melder
console-reporter-anonymous = Anoniem
console-reporter-named = Naam: { $name }
console-reporter-contact = Bereikbaar via: { $contact }
console-consent-yes = De werkgever mag de melding met naam inzien.
console-consent-no = De werkgever mag de melding niet inzien.
console-sealed-to = Versleuteld voor

## A report's end: closure, retention, hold, register (issue 11)
console-nav = Onderdelen van de console
console-back-to-report = ← Terug naar de melding
console-nothing-sent = Er is niets verstuurd.
console-bad-status = Deze status bestaat niet.
console-bad-date = Vul een bestaande datum in (jjjj-mm-dd).
console-closing-reason-needed = Kies een reden om deze melding af te sluiten.
console-hold-day-needed = Kies de datum tot wanneer de melding bewaard blijft.
console-hold-reason-needed = Kies de reden om de melding langer te bewaren.
console-choose = — kies —

console-lifecycle-heading = Afsluiten en bewaren
console-register-number = Registernummer
console-closed-on = Afgesloten op
console-closing-reason-shown = Reden van afsluiten
console-deletion-heading = Verwijderen
console-deletion-on = Deze melding en haar berichten worden verwijderd op { $date }.
console-deletion-on-days = Deze melding en haar berichten worden verwijderd op { $date } ({ $days ->
    [0] vandaag
    [one] over { $days } dag
   *[other] over { $days } dagen
}).
console-deletion-after-closure = Pas na het afsluiten wordt een datum van verwijderen vastgesteld (de bewaartermijn van uw organisatie).
console-deleted-on = Verwijderd op
console-hold-heading = Langer bewaren
console-hold-none = Niet ingesteld: de gewone bewaartermijn geldt.
console-hold-shown = Bewaard tot ten minste { $date }: { $reason }
console-hold-until = Bewaard tot { $date }
console-hold-reason-legal-proceedings = Juridische procedure
console-hold-reason-investigation = Lopend onderzoek
console-hold-reason-regulator-request = Verzoek van een toezichthouder
console-hold-reason-reporter-request = Verzoek van de melder
console-hold-reason-other = Andere reden
console-hold-set-heading = Deze melding langer bewaren
console-hold-explain = Alleen voor deze melding, met een reden. Elke andere vertrouwenspersoon van uw organisatie ziet dit in het register.
console-hold-until-label = Bewaren tot en met
console-hold-reason-label = Reden
console-hold-set-button = Langer bewaren
console-hold-remove-button = Langer bewaren opheffen
console-silence-offer = De melder heeft niet meer gereageerd sinds { $date }. U mag deze melding afsluiten; dat gebeurt nooit vanzelf.
console-silence-badge = Melder reageert niet: afsluiten mogelijk
console-close-heading = Melding afsluiten
console-close-explain = De melder ziet in de brievenbus dat de melding is afgesloten en waarom. Het e-mailadres voor meldingen van de melder wordt dan gewist. Na de bewaartermijn wordt de melding verwijderd; tot dan kunt u haar heropenen.
console-close-button = Afsluiten
console-reopen-heading = Melding heropenen
console-reopen-explain = De melding gaat terug naar "In behandeling". Het heropenen wordt vastgelegd.
console-reopen-button = Heropenen
console-archive-button = Archiveren

console-history-heading = Verloop
console-history-none = Nog niet afgesloten, heropend of langer bewaard.
console-history-caption = Wat er met deze melding is gebeurd, oudste eerst
console-col-day = Datum
console-col-event = Gebeurtenis
console-col-advisor = Vertrouwenspersoon
console-advisor-number = vertrouwenspersoon nr. { $number }
console-event-closed = Afgesloten: { $reason }
console-event-reopened = Heropend
console-event-hold-set = Langer bewaard tot { $date }: { $reason }
console-event-hold-removed = Langer bewaren opgeheven
console-event-silence-warning = De melder is gewaarschuwd dat de melding kan worden afgesloten

console-deletions-soon = { $count ->
    [one] { $count } melding wordt binnen { $days } dagen verwijderd
   *[other] { $count } meldingen worden binnen { $days } dagen verwijderd
}

console-register-title = Register
console-register-explain = Het register van alle meldingen van uw organisatie: één regel per melding, ook nadat de inhoud is verwijderd. Alleen nummers, datums en codes, geen inhoud. Elke vertrouwenspersoon van uw organisatie ziet hetzelfde register.
console-register-terms = Meldingen worden { $retention } maanden na het afsluiten verwijderd; een regel in het register blijft { $register } maanden na het afsluiten bewaard.
console-register-csv = Register downloaden (CSV)
console-register-empty = Het register is nog leeg.
console-register-caption = Alle meldingen van uw organisatie, op nummer

# figures and layout (issue 12)
console-skip-to-content = Naar de inhoud
console-nav-figures = Cijfers
console-nav-recipients = Ontvangers
console-figures-title = Cijfers voor het management
console-figures-explain = Cijfers per kwartaal of per jaar voor de directie en de ondernemingsraad. Ze worden hier berekend, waar de meldingen worden geopend; alleen de tabellen na onderdrukking verlaten deze console, versleuteld voor de bevestigde ontvangers van het management en de vertrouwenspersonen. Geen vrije tekst, geen afzonderlijke meldingen.
console-figures-choose-heading = Periode kiezen
console-figures-period-label = Afgelopen kwartaal of jaar
console-figures-no-free-dates = Alleen hele kwartalen en kalenderjaren die voorbij zijn: met vrije datums zou het verschil tussen twee overzichten één melding kunnen verraden.
console-figures-preview-button = Voorbeeld bekijken
console-figures-quarter = { $year }, kwartaal { $quarter }
console-figures-year = { $year } (heel jaar)
console-figures-already = al gepubliceerd
console-figures-published-heading = Gepubliceerde cijfers
console-figures-published-caption = Cijferoverzichten van uw organisatie, nieuwste eerst
console-figures-none-published = Er zijn nog geen cijfers gepubliceerd.
console-figures-col-period = Periode
console-figures-col-day = Gepubliceerd op
console-figures-col-sender = Door
console-figures-col-open = Bekijken
console-figures-view = Bekijken
console-figures-csv = Tabellen downloaden (CSV)
console-figures-could-not-open = Kan niet worden geopend met uw sleutel
console-figures-preview-title = Voorbeeld: { $period }
console-figures-preview-explain = Zo ziet het management de cijfers. Elk getal onder { $threshold } is verborgen, en zo nodig nog meer cijfers, zodat geen verborgen getal uit de totalen of uit eerder gepubliceerde cijfers volgt. Berekend op { $today }.
console-figures-already-on = Voor deze periode zijn op { $date } al cijfers gepubliceerd. Publiceert u opnieuw, dan zien de ontvangers beide.
console-figures-back = ← Alle cijfers
console-figures-publish-heading = Publiceren
console-figures-publish-explain = Bij publiceren worden deze cijfers in deze console versleuteld voor de ontvangers hieronder en naar de server gestuurd. De server kan ze niet lezen.
console-figures-to-management = Voor het management
console-figures-to-advisors = Voor de vertrouwenspersonen
console-figures-no-management = Er is geen ontvanger van het management die u hebt bevestigd en die de server ook kent. Er kan niets gepubliceerd worden.
console-figures-unconfirmed = Deze ontvangers van het management kent de server, maar u hebt ze niet bevestigd. Zij krijgen niets, totdat u de vingerafdruk hardop met hen hebt vergeleken en hun regel aan uw bestand met sleutels hebt toegevoegd.
console-figures-to-recipients = Naar de ontvangers
console-figures-publish-button = Cijfers publiceren
console-figures-published-now = De cijfers over { $period } zijn gepubliceerd.
console-figures-published-title = Cijfers: { $period }
console-figures-earlier-unreadable = Eerder gepubliceerde cijfers van hetzelfde jaar ({ $periods }) kunnen met uw sleutel niet worden geopend. Zonder die cijfers kan niet worden nagegaan of verborgen getallen uit het verschil volgen. Vraag een collega die ze kan openen om te publiceren.
console-figures-changed = De cijfers zijn veranderd sinds u het voorbeeld bekeek (er is bijvoorbeeld een melding bijgewerkt). Bekijk het voorbeeld opnieuw.

console-thread-approval-request = Verzoek aan de melder om concept { $draft }, versie { $version } goed te keuren.
console-thread-approval-approve = De melder keurt concept { $draft }, versie { $version } goed.
console-thread-approval-decline = De melder wijst concept { $draft }, versie { $version } af.
console-thread-approval-withdraw = De melder trekt de goedkeuring van concept { $draft }, versie { $version } in.
console-thread-approval-other = Een antwoord van de melder op concept { $draft }, versie { $version }.
console-thread-to-forwarding = Naar Doorsturen
console-thread-comment = Toelichting van de melder:
console-thread-forward-wish = De melder vraagt om de melding door te sturen:
console-col-channel = Kanaal
console-col-acknowledged = Ontvangst bevestigd op
console-col-feedback = Terugkoppeling op

# forwarding (issue 12)
console-recipients-title = Ontvangers
console-recipients-explain = De mensen in uw organisatie die iets uit deze console ontvangen: managementontvangers (directie, OR-rapportage) krijgen cijferrapporten, doorstuurontvangers (HR, een klachtencommissie) krijgen een melding alleen als de melder precies dat concept heeft goedgekeurd. De console versleutelt alleen voor een ontvanger van wie u de sleutel hardop hebt bevestigd (een regel in uw bestand met bevestigde sleutels) en die de server in dezelfde rol aanbiedt.
console-recipients-none = Uw organisatie heeft nog geen management- of doorstuurontvangers. De beheerder nodigt ze uit.
console-recipients-caption = Ontvangers zoals de server ze aanbiedt, vergeleken met de sleutels die u bevestigde
console-recipients-col-role = Rol
console-recipients-col-label = Naam
console-recipients-col-source = Sleutel
console-recipients-col-enrolled = Ingeschreven op
console-recipients-col-standing = Door u bevestigd
console-recipients-role-management = Managementontvanger
console-recipients-role-forward = Doorstuurontvanger
console-recipients-source-token = op een hardwaresleutel
console-recipients-source-code = uit een inschrijfcode
console-recipients-confirmed = Bevestigd
console-recipients-confirmed-as = In uw bestand als: { $label }
console-recipients-unconfirmed = Niet bevestigd: er wordt niets voor deze sleutel versleuteld
console-recipients-confirmed-other-role = U bevestigde deze sleutel als: { $role }. Er wordt niets voor versleuteld.
console-recipients-wrong-fingerprint = De getoonde vingerafdruk hoort niet bij deze sleutel. Er wordt niets voor versleuteld.
console-recipients-confirm-heading = Een ontvanger bevestigen
console-recipients-confirm-explain = Een sleutel die de server noemt, kan van iemand anders zijn. Bevestig hem zoals u de sleutels van uw mede-vertrouwenspersonen bevestigde.
console-recipients-compare-aloud = Bel of spreek deze persoon. Lees deze vingerafdruk hardop voor en laat de ander de zijne voorlezen (op de inschrijfpagina of van de hardwaresleutel). Ga alleen verder als elke groep gelijk is.
console-recipients-add-line = Voeg daarna deze regel toe aan uw bestand met bevestigde sleutels (de naam na de sleutel mag u aanpassen):
console-recipients-restart = Start de console opnieuw nadat u het bestand hebt aangepast.
console-recipients-warn-title = Sleutel van een ontvanger veranderd?
console-recipients-warn-explain = De server biedt de ontvangers van de organisatie anders aan dan de sleutels die u bevestigde. Dit kan een verwisselde sleutel zijn: er wordt niets versleuteld voor een veranderde ontvanger. Waarschuw de andere vertrouwenspersonen en de beheerder.
console-recipients-warn-not-served = { $label } ({ $role }, vingerafdruk { $fingerprint }) is door u bevestigd, maar de server biedt deze sleutel niet meer aan.
console-recipients-warn-other-role = { $label } (vingerafdruk { $fingerprint }) is door u bevestigd als { $role }, maar de server biedt deze sleutel aan als { $served }.
console-recipients-warn-fingerprint = De server toont een vingerafdruk die niet bij de sleutel { $fingerprint } hoort.
console-forward-heading = Doorsturen
console-forward-explain = Een melding gaat alleen naar HR of een klachtencommissie als de melder precies de tekst, de bijlagen en de ontvanger goedkeurt. Schrijf een concept, vraag het de melder en stuur door zodra de melder heeft goedgekeurd. Alleen die ontvanger kan lezen wat is doorgestuurd.
console-forward-recipients-unavailable = De lijst met ontvangers kon niet bij de server worden opgehaald; er kan nu geen concept worden verstuurd.
console-forward-unconfirmed = { $count ->
    [one] { $count } doorstuurontvanger is nog niet door u bevestigd.
   *[other] { $count } doorstuurontvangers zijn nog niet door u bevestigd.
}
console-forward-wishes = De melder vraagt om doorsturen
console-forward-drafts = Concepten en de antwoorden van de melder
console-forward-no-drafts = Er is nog geen concept aan de melder gestuurd.
console-forward-draft-title = Concept { $draft }, versie { $version }
console-forward-superseded = Er is een nieuwere versie van dit concept verstuurd; alleen de nieuwste versie kan worden doorgestuurd.
console-forward-to = Aan:
console-forward-now = Nu doorsturen naar { $label }
console-forward-change = Dit concept wijzigen (stuurt de melder een nieuwe versie)
console-forward-made = Doorgestuurd
console-forward-none-made = Er is niets doorgestuurd.
console-forward-made-line = Doorgestuurd naar { $label } op { $date }
console-forward-list-unavailable = De doorgestuurde stukken konden niet worden opgehaald.
console-forward-new-draft = Nieuw concept
console-forward-text-label = Tekst voor de ontvanger (de melder ziet precies deze tekst)
console-forward-attachments-legend = Bijlagen om door te sturen
console-forward-recipient-legend = Ontvanger (één)
console-forward-no-recipient = Er is geen doorstuurontvanger die u hebt bevestigd en die de server aanbiedt. Zie
console-forward-request-explain = Het concept gaat als verzoek om goedkeuring naar de berichtenbox van de melder. Er gaat niets naar de ontvanger voordat de melder precies dit concept goedkeurt.
console-forward-request-button = De melder om goedkeuring vragen
console-forward-request-new-version = Het gewijzigde concept ter goedkeuring sturen
console-forward-standing-awaiting = Wacht op het antwoord van de melder
console-forward-standing-approved = Goedgekeurd door de melder
console-forward-standing-declined = Afgewezen door de melder
console-forward-standing-withdrawn = Goedkeuring ingetrokken door de melder
console-forward-standing-forwarded = Doorgestuurd
console-forward-standing-broken = Dit verzoek kan niet worden goedgekeurd (de gegevens kloppen niet)
console-forward-answer-approve = Goedgekeurd op { $date }
console-forward-answer-decline = Afgewezen op { $date }
console-forward-answer-withdraw = Goedkeuring ingetrokken op { $date }
console-forward-answer-other = Een onbekend antwoord op { $date }
console-forward-refused-no-draft = Dit concept staat niet in de berichten van deze melding.
console-forward-refused-not-newest = Er is een nieuwere versie van dit concept; alleen de nieuwste versie kan worden doorgestuurd.
console-forward-refused-recipient-not-named = Deze ontvanger staat niet in het concept dat de melder zag.
console-forward-refused-recipient-unconfirmed = Deze ontvanger is niet door u bevestigd als doorstuurontvanger, of de server biedt hem niet als zodanig aan (zie Ontvangers).
console-forward-refused-attachment-changed = Een bijlage is niet meer wat het concept noemde (de inhoud is veranderd); stuur het concept opnieuw.
console-forward-refused-no-approval = De melder heeft precies dit concept niet goedgekeurd.
console-forward-refused-declined = De melder heeft dit concept afgewezen.
console-forward-refused-withdrawn = De melder heeft de goedkeuring van dit concept ingetrokken.
console-forward-refused-used = Met deze goedkeuring is al doorgestuurd.
console-forward-refused-unknown-attachment = Een gekozen bijlage hoort niet bij deze melding.
console-forward-refused-text = Schrijf een tekst (ten hoogste 60 000 tekens).

# recipient page (issue 12)
recipient-title = Stukken voor u
recipient-who = U bent ingelogd als { $label } ({ $role }).
recipient-role-management = directie / OR-rapportage
recipient-role-forward = HR / klachtencommissie
recipient-senders-file = Stukken worden alleen geopend als ze zijn verzegeld door een vertrouwenspersoon uit uw bestand met bevestigde sleutels.
recipient-senders-config = Stukken worden alleen geopend als ze zijn verzegeld door een vertrouwenspersoon die de server voor deze organisatie noemt (u gaf geen bestand met bevestigde sleutels; de server kan deze lijst veranderen).
recipient-untrusted-title = Niet getoond: afzender niet vertrouwd
recipient-untrusted-item = Stuk { $id } van { $day } is verzegeld door een sleutel die geen vertrouwde vertrouwenspersoon is (vingerafdruk { $fingerprint }). Het is niet geopend. Meld dit aan de vertrouwenspersonen.
recipient-unreadable-item = Stuk { $id } van { $day } kon niet worden geopend of is niet wat het hoort te zijn; het is niet getoond.
recipient-none = Er zijn (nog) geen stukken voor u.
recipient-item-figures = Cijferrapportage { $period }
recipient-item-forward = Doorgestuurde melding van { $day }
recipient-back = Terug naar de lijst
recipient-csv = Tabellen downloaden (CSV)
recipient-forward-meta = Doorgestuurd door { $advisor }, registernummer { $number }, aan { $label }.
recipient-forward-read-only = Alleen lezen: via deze pagina kunt u niet reageren aan de melder.
recipient-attachments = Bijlagen
recipient-bytes = { $size } bytes
recipient-attachment-refused = Deze bijlage is niet wat het doorgestuurde stuk noemt (grootte of inhoud wijkt af) en is niet gegeven.
recipient-not-found = Dit stuk bestaat niet of is niet voor u.
