# The pages of management recipients (directie / OR-rapportage) and forward
# recipients (HR / klachtencommissie): enrolment with an enrolment code and
# the management page (server/src/pages/management.rs,
# web-client/js/management.js). Plain, businesslike language.

## Both pages
mgmt-noscript = Deze pagina heeft JavaScript nodig: daarmee maakt en gebruikt uw eigen browser uw sleutel, en opent hij wat voor u versleuteld is. Zet JavaScript aan, of gebruik een andere browser. Zonder JavaScript doet deze pagina niets.
mgmt-footer = Wat u hier ontvangt is versleuteld voor uw eigen sleutel. De beheerder van deze website kan het niet lezen. U ontvangt nooit meldingen zelf, alleen cijfers of een zaak die met instemming van de melder aan u is doorgestuurd.
mgmt-role-management = Ontvanger van cijferrapportages (directie / OR-rapportage)
mgmt-role-forward = Ontvanger van doorgestuurde zaken (HR / klachtencommissie)

## Enrolment page
enrol-title = Aanmelden als ontvanger
enrol-intro = U bent uitgenodigd om bij { $tenant } cijferrapportages of doorgestuurde zaken van de vertrouwenspersonen te ontvangen. Uw browser maakt nu een aanmeldcode. Uit die code wordt uw sleutel gemaakt; de server krijgt alleen het openbare deel ervan.
enrol-how-1 = U maakt een aanmeldcode en schrijft die op.
enrol-how-2 = Uw browser maakt uit de code uw sleutel en meldt het openbare deel ervan aan.
enrol-how-3 = U leest de vingerafdruk van uw sleutel hardop voor aan de vertrouwenspersoon, die hem controleert.
enrol-how-4 = Daarna opent u met uw code de rapportagepagina.
enrol-start = Aanmeldcode maken
enrol-no-invitation = Deze link bevat geen geldige uitnodiging. Gebruik de volledige link die u van de beheerder kreeg (met alles na het #-teken), of vraag om een nieuwe.
enrol-code-title = Uw aanmeldcode
enrol-code-explain = Met deze code opent u de rapportagepagina. Hij is de enige sleutel tot wat voor u versleuteld wordt.
enrol-code-warning = Schrijf deze code op en bewaar hem op een veilige plek, apart van uw computer. Iedereen met deze code kan lezen wat u ontvangt. Raakt u hem kwijt, dan kan niemand hem opnieuw uitgeven: u hebt dan een nieuwe uitnodiging nodig, en wat voor de oude code versleuteld was blijft onleesbaar.
enrol-copy = Kopiëren
enrol-download = Downloaden
enrol-print = Afdrukken
enrol-confirm = Typ ter controle de laatste vier tekens van uw code
enrol-confirm-button = Ik heb mijn code bewaard: aanmelden
enrol-done-title = U bent aangemeld
enrol-done-role = Rol
enrol-done-label = Naam
enrol-fingerprint-title = Vingerafdruk van uw sleutel
enrol-fingerprint-explain = Lees deze vingerafdruk hardop voor aan de vertrouwenspersoon, bijvoorbeeld aan de telefoon. Pas als hij klopt, wordt er iets voor u versleuteld. Zo weet de vertrouwenspersoon zeker dat deze sleutel van u is en niet van iemand anders.
enrol-to-management = Naar de rapportagepagina

## Management page
mgmt-title = Rapportages en doorgestuurde zaken
mgmt-login-intro = Log in met de aanmeldcode die u bij uw aanmelding hebt opgeschreven.
mgmt-code = Aanmeldcode
mgmt-code-help = 24 tekens, bijvoorbeeld ABCD-EFGH-JKMN-PQRS-TVWX-YZ01. Hoofd- of kleine letters en streepjes maken niet uit.
mgmt-login = Inloggen
mgmt-lost = Code kwijt? Die kan niet opnieuw worden uitgegeven. Vraag de beheerder om een nieuwe uitnodiging en lees de nieuwe vingerafdruk voor aan de vertrouwenspersoon.
mgmt-figures-title = Cijferrapportages
mgmt-figures-none = Er zijn nog geen cijferrapportages voor u.
mgmt-forwards-title = Doorgestuurde zaken
mgmt-forwards-none = Er zijn geen zaken aan u doorgestuurd.
mgmt-view-close = Sluiten
mgmt-print = Afdrukken of als PDF opslaan
mgmt-csv = CSV downloaden
mgmt-logout = Uitloggen

## Texts the scripts show
mgmt-js-code-file-title = Aanmeldcode voor { $tenant }
mgmt-js-code-file-where = Rapportagepagina: { $url }
mgmt-js-code-file-warning = Bewaar deze code op een veilige plek. Raakt u hem kwijt, dan kan niemand hem opnieuw uitgeven.
mgmt-js-making-key = Uw sleutel wordt gemaakt. Dit duurt een paar seconden.
mgmt-js-enrolling = Uw sleutel wordt aangemeld…
mgmt-js-invitation-refused = De uitnodiging is niet (meer) geldig: verlopen, al gebruikt of onbekend. Vraag de beheerder om een nieuwe. Uw code is niet aangemeld; gooi hem weg.
mgmt-js-already-enrolled = Deze sleutel is al aangemeld.
mgmt-js-fingerprint-differs = De server noemt een andere vingerafdruk dan uw browser heeft berekend. Lees die niet voor: neem contact op met de vertrouwenspersoon.
mgmt-js-logging-in = Bezig met inloggen. Dit duurt een paar seconden.
mgmt-js-login-failed = Inloggen is niet gelukt. Controleer uw aanmeldcode. Is uw aanmelding ingetrokken, vraag dan de beheerder om een nieuwe uitnodiging.
mgmt-js-signed-in-as = Ingelogd als { $label } · { $role }
mgmt-js-unverified = Een stuk kon niet worden gecontroleerd en wordt daarom niet getoond. Het komt mogelijk niet van een vertrouwenspersoon van deze organisatie. Vertel de vertrouwenspersoon ervan.
mgmt-js-period-quarter = { $quarter }e kwartaal { $year }
mgmt-js-period-year = Jaar { $year }
mgmt-js-posted-on = verstuurd op { $day }
mgmt-js-open-figures = Bekijken: { $period }
mgmt-js-forward-from = Doorgestuurd door { $advisor } op { $day } · registratienummer { $number }
mgmt-js-forward-to = Aan: { $label }
mgmt-js-forward-readonly = Dit is wat de melder heeft goedgekeurd, precies zo. U kunt hier niet reageren: de melder blijft voor u onbekend, tenzij deze tekst anders zegt.
mgmt-js-attachment-wrong = Deze bijlage is niet de bijlage die de vertrouwenspersoon noemde. Hij is niet geopend en niet opgeslagen. Vertel de vertrouwenspersoon ervan.
mgmt-js-days-one = { $days } dag
mgmt-js-days-other = { $days } dagen
mgmt-js-figures-unreadable = Deze cijferrapportage heeft een vorm die deze pagina niet kent en wordt niet getoond.
