# The reporter's pages (server/src/pages) and the texts their scripts show
# (web-client/js). Plain language (B1): the reader may be upset or afraid.

## Every page
page-skip = Naar de inhoud
page-language = Taal
page-footer = Uw melding wordt in uw eigen browser versleuteld. Alleen de vertrouwenspersonen die u kiest kunnen haar lezen; de beheerder van deze website niet.
page-noscript = Deze pagina heeft JavaScript nodig: daarmee versleutelt uw eigen browser uw melding, voordat er iets wordt verstuurd. Zet JavaScript aan, of gebruik een andere browser. Zonder JavaScript verstuurt deze pagina niets.
page-emergency = Bent u in direct gevaar? Bel 112.
page-logo = Logo van { $tenant }
page-not-found-title = Pagina niet gevonden
page-error-title = Er ging iets mis
page-error-back = Naar de beginpagina

## Start page
start-title = Meld het veilig
start-intro = Hier kunt u melding maken van ongewenst gedrag of van een integriteitsschending bij { $tenant }: bijvoorbeeld intimidatie, pesten, discriminatie, agressie, fraude of diefstal. U mag anoniem blijven.
start-readers = Uw melding wordt gelezen door de vertrouwenspersonen:
start-report = Melding maken
start-mailbox = Naar mijn berichtenbox
start-how-title = Hoe werkt het?
start-how-1 = U vult een korte vragenlijst in. U kiest zelf of u uw naam noemt.
start-how-2 = Uw browser versleutelt de melding. Daarna krijgt u een inlogcode. Bewaar die goed: raakt u hem kwijt, dan kan niemand u een nieuwe geven.
start-how-3 = Met de code opent u uw berichtenbox. Daar ziet u de status en kunt u berichten uitwisselen met de vertrouwenspersoon.
start-how-4 = Binnen { $ack_days } ontvangt u een bevestiging. Binnen { $feedback_months } maanden daarna hoort u wat er met uw melding gebeurt.
start-not-ready = Deze organisatie kan op dit moment nog geen meldingen ontvangen. Probeer het later opnieuw of neem op een andere manier contact op met een vertrouwenspersoon.

## Report form
report-title = Melding maken
report-intro = Neem de tijd. Alleen de velden met "verplicht" moeten worden ingevuld. Niets wordt verstuurd voordat u op "Melding versleuteld versturen" drukt.
report-required = verplicht
report-category = Waar gaat uw melding over?
report-category-none = Weet ik niet of zeg ik liever niet
report-questions = Uw melding
report-yes = Ja
report-no = Nee
report-identity = Wilt u uw naam noemen?
report-identity-anonymous = Nee, ik blijf anoniem
report-identity-anonymous-help = Schrijf dan ook in uw antwoorden niets wat naar u leidt, als u dat niet wilt.
report-identity-named = Ja, ik noem mijn naam
report-name = Uw naam
report-contact = Hoe kan de vertrouwenspersoon u bereiken? (niet verplicht)
report-contact-help = Bijvoorbeeld een telefoonnummer. U kunt ook gewoon berichten uitwisselen in uw berichtenbox.
report-consent = De werkgever mag deze melding met mijn naam inzien
report-consent-help = Zonder uw toestemming ziet de werkgever uw melding nooit. De vertrouwenspersoon bespreekt eerst met u wat er met uw melding gebeurt.
report-advisors = Wie mag uw melding lezen?
report-advisors-help = Laat een vertrouwenspersoon weg als die bij de zaak betrokken is: uw melding wordt dan niet voor hem of haar versleuteld. Kies er minstens één.
report-attachments = Bijlagen (niet verplicht)
report-attachments-help = Bijvoorbeeld foto's, schermafdrukken of documenten, samen hoogstens { $max }. Ook bijlagen worden in uw browser versleuteld.
report-notice = Bericht als er een antwoord is (niet verplicht)
report-notice-email = Uw e-mailadres
report-notice-help = Alleen om u te laten weten dat er een nieuw bericht in uw berichtenbox staat. Het adres wordt apart van uw melding bewaard en nooit aan de vertrouwenspersoon of de werkgever getoond. Gebruik liever een privé-adres dan uw werkadres. Wordt uw melding afgesloten, dan krijgt u daarvan nog één bericht en wordt het adres verwijderd.
report-send = Melding versleuteld versturen
report-sending = Uw melding wordt versleuteld en verstuurd. Dit duurt een paar seconden.

## After sending: the login code
code-title = Uw melding is verstuurd
code-received = Uw melding is ontvangen op { $date }.
code-your-code = Uw inlogcode
code-explain = Met deze code opent u uw berichtenbox. Daar ziet u de reactie van de vertrouwenspersoon.
code-warning = Bewaar deze code op een veilige plek. Iedereen met deze code kan uw berichtenbox openen. Raakt u de code kwijt, dan kan niemand u een nieuwe geven: ook wij niet.
code-copy = Kopiëren
code-download = Downloaden
code-print = Afdrukken
code-confirm = Typ ter controle de laatste vier tekens van uw code
code-confirm-button = Ik heb mijn code bewaard
code-file-title = Inlogcode voor uw melding bij { $tenant }
code-file-where = Uw berichtenbox: { $url }
code-file-warning = Bewaar deze code op een veilige plek. Raakt u hem kwijt, dan kan niemand u een nieuwe geven.

## After sending: next steps
next-title = Wat gebeurt er nu?
next-acknowledgement = Uiterlijk { $date } bevestigt de vertrouwenspersoon dat uw melding is ontvangen.
next-feedback = Uiterlijk { $date } hoort u wat er met uw melding wordt gedaan.
next-mailbox = Kijk af en toe in uw berichtenbox. De vertrouwenspersoon kan u daar vragen stellen.
next-tips-title = Tips voor nu
tip-1 = Schrijf op wat er is gebeurd, wanneer en waar, en wie erbij waren. Doe dat zo snel mogelijk, zolang u het nog goed weet.
tip-2 = Bewaar berichten, e-mails en andere bewijzen. Bewaar ze niet alleen op een computer of telefoon van uw werk.
tip-3 = Praat met iemand die u vertrouwt. U hoeft dit niet alleen te dragen.
tip-4 = Heeft u last van klachten, zoals slecht slapen of angst? Praat erover met uw huisarts of de bedrijfsarts.
tip-5 = Bent u in direct gevaar? Bel 112.
next-to-mailbox = Naar mijn berichtenbox

## Mailbox
mailbox-title = Uw berichtenbox
mailbox-login-intro = Log in met de inlogcode die u kreeg na het versturen van uw melding.
mailbox-code = Inlogcode
mailbox-code-help = 24 tekens, bijvoorbeeld ABCD-EFGH-JKMN-PQRS-TVWX-YZ01. Hoofd- of kleine letters en streepjes maken niet uit.
mailbox-login = Inloggen
mailbox-lost = Kwijt? Een inlogcode kan niet opnieuw worden gemaakt. U kunt wel een nieuwe melding maken en daarin naar uw eerdere melding verwijzen.
mailbox-logging-in = Bezig met inloggen. Dit duurt een paar seconden.
mailbox-status = Status
mailbox-received = Ontvangen op
mailbox-agreed-date = Afgesproken termijn
mailbox-agreed-none = Nog niet afgesproken
mailbox-acknowledgement = Ontvangstbevestiging
mailbox-feedback = Terugkoppeling
js-due-by = uiterlijk { $day }
js-acknowledged-on = bevestigd op { $day }
js-feedback-given-on = gegeven op { $day }
mailbox-thread = Berichten
mailbox-your-report = Uw melding
mailbox-no-messages = Er zijn nog geen berichten.
mailbox-reply = Een bericht sturen
mailbox-reply-text = Uw bericht
mailbox-reply-attachments = Bijlagen (niet verplicht)
mailbox-reply-send = Bericht versleuteld versturen
mailbox-notice = Bericht als er een antwoord is
mailbox-notice-email = E-mailadres
mailbox-notice-help = Alleen om u te laten weten dat er een nieuw bericht is. Het adres wordt apart van uw melding bewaard en nooit aan de vertrouwenspersoon getoond. Wordt uw melding afgesloten, dan krijgt u daarvan nog één bericht en wordt het adres verwijderd.
mailbox-notice-save = Opslaan
mailbox-notice-remove = Verwijderen
mailbox-logout = Uitloggen

## Texts the scripts show
js-loading = Bezig met laden…
js-deriving = Uw sleutel wordt gemaakt. Dit duurt een paar seconden.
js-encrypting = Uw melding wordt versleuteld…
js-sending = Bezig met versturen…
js-uploading = Bijlage { $number } van { $count } wordt versleuteld en verstuurd…
js-sent = Uw melding is verstuurd.
js-network-error = Er is geen verbinding met de server. Er is niets verloren: probeer het opnieuw.
js-retry = Opnieuw proberen
js-server-error = De server gaf een fout: { $message }
js-bad-answer = De server gaf een antwoord dat deze pagina niet kan lezen. Er is niets verloren: probeer het later opnieuw. Blijft dit zo, neem dan contact op met de vertrouwenspersoon.
js-code-refused = De code van deze pagina kon niet worden gecontroleerd en is daarom niet gebruikt. Er is niets verstuurd. Probeer het later opnieuw, of via een ander netwerk.
js-error-summary = Er zijn { $count } velden die u nog moet invullen of verbeteren:
js-field-required = Vul dit veld in.
js-field-choose = Kies een antwoord.
js-field-email = Vul een geldig e-mailadres in, of laat dit veld leeg.
js-advisors-none = Kies minstens één vertrouwenspersoon.
js-attachments-too-large = De bijlagen zijn samen te groot (hoogstens { $max }).
js-copied = De code is gekopieerd.
js-copy-failed = Kopiëren lukte niet. Schrijf de code over of download hem.
js-confirm-mismatch = Dat zijn niet de laatste vier tekens van uw code. Kijk nog eens goed.
js-code-wrong-length = De code heeft 24 tekens; u typte er { $found }.
js-code-invalid-character = Teken { $position } van uw code kan niet kloppen. Kijk het nog eens na.
js-code-check-failed = Er zit een typfout in de code. Kijk de code nog eens na.
js-login-failed = Inloggen is niet gelukt. Controleer uw inlogcode.
js-you = U
js-advisor = Vertrouwenspersoon
js-unverified = Dit bericht kon niet worden gecontroleerd en wordt daarom niet getoond. Het komt mogelijk niet van uw vertrouwenspersoon. Reageer er niet op en vertel de vertrouwenspersoon ervan.
js-report-unreadable = Uw melding kon niet worden geopend. Neem contact op met de vertrouwenspersoon.
js-report-substituted = De server liet iets anders zien dan uw eigen melding. Daarom worden uw melding en de berichten nu niet getoond en kunt u hier niets versturen: zo kan niemand u iets laten lezen of versturen buiten uw vertrouwenspersonen om. Neem contact op met de vertrouwenspersoon.
js-message-sent = Uw bericht is verstuurd.
js-message-empty = Schrijf eerst een bericht.
js-notice-saved = Het e-mailadres is opgeslagen.
js-notice-removed = Het e-mailadres is verwijderd.
js-download = Downloaden: { $name }
js-attachment-missing = Deze bijlage kon niet worden geopend.
js-attachment-substituted = De server gaf een andere bijlage dan deze. Die is niet geopend en niet opgeslagen. Vertel de vertrouwenspersoon ervan.
js-size-bytes = { $size } bytes
js-size-kb = { $size } kB
js-size-mb = { $size } MB
js-anonymous = Anoniem
js-named = Naam: { $name }
js-consent-yes = De werkgever mag de melding met naam inzien.
js-consent-no = De werkgever mag de melding niet inzien.
js-category = Onderwerp
js-attachments = Bijlagen
js-key-introduced = { $name } gebruikt vanaf nu een nieuwe sleutel. Dat is bevestigd met een sleutel die uw melding al kende; berichten met de nieuwe sleutel worden gewoon getoond.
js-recovery-key-introduced = { $name } heeft bevestigd dat de organisatie haar herstelsleutel heeft vervangen. Uw volgende berichten worden versleuteld voor de nieuwe herstelsleutel.
code-notice-not-saved = Uw e-mailadres kon niet worden bewaard. Uw melding is wel ontvangen. U kunt het adres later toevoegen in uw berichtenbox.
code-attachments-not-sent = Uw melding is ontvangen, maar niet al uw bijlagen: de server weigerde er een. U kunt ze later met deze code vanuit uw berichtenbox sturen.
report-keys-title = Sleutels controleren
report-keys-explain = Uw melding wordt in deze browser versleuteld voor de sleutels hieronder. Wilt u zeker weten dat niemand anders kan meelezen, vergelijk dan deze vingerafdrukken met de vingerafdrukken die uw organisatie bekendmaakt (bijvoorbeeld op intranet), of vraag ze de vertrouwenspersoon zelf. Verschillen ze, verstuur dan niets en neem persoonlijk contact op met een vertrouwenspersoon.
report-keys-recovery = Herstelsleutel van de organisatie (alleen nodig als een vertrouwenspersoon de eigen sleutel kwijtraakt)
js-keys-changed = De sleutels van de vertrouwenspersonen zijn veranderd sinds deze pagina werd geladen. Er is niets verstuurd. Laad de pagina opnieuw en controleer de sleutels.

## The mailbox: a report's end (issue 11)
mailbox-closed = Afgesloten
js-closed-on = op { $day }
js-closed-on-reason = op { $day }; reden: { $reason }
js-deletion-on = Deze melding en haar berichten worden verwijderd op { $day }.
js-silence-warning = Als u niet vóór { $day } reageert, mag uw vertrouwenspersoon deze melding afsluiten.
js-reason-resolved = Afgehandeld
js-reason-agreed_with_reporter = In overleg met u afgesloten
js-reason-no_response_from_reporter = Geen reactie meer van u ontvangen
js-reason-withdrawn = Ingetrokken
js-reason-not_a_report = Geen melding volgens de regeling
js-reason-other = Andere reden
