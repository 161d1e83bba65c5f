# Verslagen die de melder goedkeurt (issue 13): de console van de
# vertrouwenspersoon en de brievenbus van de melder.

## Console

minutes-heading = Verslagen
minutes-explain = Schrijf na een gesprek of telefoontje het verslag, eventueel met een opname die met toestemming van de melder is gemaakt. De melder leest het in de brievenbus en gaat akkoord of stuurt correcties; dan maakt u een nieuwe versie. Alle versies blijven bewaard tot de melding wordt verwijderd.
minutes-no-mailbox = Deze melding heeft (nog) geen brievenbus. U kunt verslagen schrijven en bewaren (alleen voor de vertrouwenspersonen en de herstelsleutel); goedkeuren kan pas als de melder een brievenbus heeft gemaakt en u die hebt gekoppeld.
minutes-mailbox-conflicting = De koppelberichten van deze melding noemen verschillende brievenbussen: geen antwoord telt als dat van de melder.
minutes-check-unavailable = De bijlagen van een goedgekeurde versie konden niet worden gecontroleerd; die versie staat daarom niet als goedgekeurd.
minutes-title = Verslag { $number }
minutes-version = Versie { $version }
minutes-approved-summary = Goedgekeurd: versie { $version }, door de melder goedgekeurd op { $date }
minutes-newer-open = Versie { $version } wacht nog op de melder.
minutes-none-approved = Nog geen versie goedgekeurd.
minutes-state-open = Wacht op de melder
minutes-state-replaced = Vervangen door een nieuwere versie
minutes-state-corrections = Correcties gevraagd
minutes-state-approved = Goedgekeurd op { $date }
minutes-state-attachment-changed = Niet goedgekeurd: een bijlage is niet meer wat deze versie noemt
minutes-state-broken = Kan niet worden goedgekeurd (de velden kloppen niet)
minutes-state-kept = Bewaard; goedkeuren kan pas na koppelen aan een brievenbus
minutes-corrections-asked = Correcties gevraagd op { $date }
minutes-new-version = Nieuwe versie maken
minutes-write = Nieuw verslag
minutes-text-label = Verslag
minutes-attachments-legend = Bijlagen bij het verslag
minutes-file-label = Bestand toevoegen (bijvoorbeeld een opname, met toestemming gemaakt)
minutes-file-help = Het bestand wordt hier versleuteld, als bijlage van deze melding, en daarna in het verslag genoemd.
minutes-request-explain = De melder ziet precies deze tekst en bijlagen en kan akkoord gaan of correcties sturen.
minutes-keep-explain = Het verslag wordt bewaard voor de vertrouwenspersonen en de herstelsleutel; de melder kan het pas lezen na koppelen.
minutes-send-for-approval = Ter goedkeuring sturen
minutes-keep = Verslag bewaren
minutes-post-new-version = Nieuwe versie ter goedkeuring sturen
minutes-send-explain = Deze versie werd bewaard voordat de melding aan een brievenbus werd gekoppeld; de melder kan haar niet lezen.
minutes-send-to-reporter = Naar de melder sturen ter goedkeuring
minutes-refused-file = Het bestand is leeg, te groot (meer dan 256 MiB) of niet te lezen.

## Brievenbus

minutes-mailbox-title = Verslag van ons gesprek — versie { $version }
minutes-mailbox-intro = { $advisor } schreef het verslag van uw gesprek. Lees het rustig na. Klopt het, kies dan "Akkoord". Klopt er iets niet, schrijf dan uw correcties en kies "Correcties sturen"; u krijgt dan een nieuwe versie.
minutes-mailbox-text = Het verslag
minutes-mailbox-approve = Akkoord
minutes-mailbox-decline = Correcties sturen
minutes-mailbox-comment = Uw correcties (nodig bij "Correcties sturen")
minutes-mailbox-comment-required = Schrijf wat er niet klopt.
minutes-mailbox-state-approve = U ging akkoord met deze versie op { $day }.
minutes-mailbox-state-decline = U stuurde correcties op { $day }. De vertrouwenspersoon maakt een nieuwe versie.
minutes-mailbox-state-withdraw = U trok uw akkoord in op { $day }.
minutes-mailbox-own-approve = U ging akkoord met het verslag (versie { $version }).
minutes-mailbox-own-decline = U stuurde correcties op het verslag (versie { $version }).
minutes-mailbox-own-withdraw = U trok uw akkoord met het verslag in (versie { $version }).
minutes-mailbox-sent-approve = Uw akkoord is versleuteld en verstuurd.
minutes-mailbox-sent-decline = Uw correcties zijn versleuteld en verstuurd.
minutes-mailbox-superseded = Er is een nieuwere versie van dit verslag. Alleen die kunt u beantwoorden.
