# The server's error answers, one per stable error code (server/src/error.rs).
error-bad_request = Het verzoek is ongeldig.
error-invalid_json = De inhoud van het verzoek is ongeldig.
error-invalid_item = Het versleutelde bestand is ongeldig.
error-invalid_tenant_id = De organisatiecode is ongeldig.
error-tenant_not_found = Deze organisatie bestaat niet.
error-tenant_disabled = Deze organisatie neemt tijdelijk geen meldingen aan.
error-tenant_not_ready = Deze organisatie is nog niet klaar om meldingen te ontvangen.
error-not_found = Niet gevonden.
error-method_not_allowed = Deze bewerking is hier niet toegestaan.
error-unauthorized = U bent niet (meer) ingelogd.
error-login_failed = Inloggen is niet gelukt. Controleer uw inlogcode.
error-rate_limited = Te veel pogingen. Probeer het later opnieuw.
error-payload_too_large = Het verzoek of bestand is te groot.
error-unsupported_media_type = Dit soort inhoud wordt hier niet geaccepteerd.
error-conflict = Dit bestaat al.
error-internal = Er ging iets mis op de server. Probeer het later opnieuw.
error-unavailable = De dienst is tijdelijk niet beschikbaar.
error-not_acknowledged = Uw inzending kon nog niet als veilig opgeslagen worden bevestigd. Verstuur haar over een ogenblik opnieuw; ze wordt niet dubbel opgeslagen.
error-invalid_email_address = Dit e-mailadres is ongeldig. Controleer het en probeer het opnieuw.
error-session_limit = Er zijn op dit moment te veel mensen tegelijk ingelogd bij deze organisatie. Probeer het over een paar minuten opnieuw; uw melding en berichten blijven bewaard.
error-report_limit = Deze organisatie heeft vandaag het hoogste aantal meldingen ontvangen dat zij per dag aanneemt. Probeer het morgen opnieuw; bewaar uw tekst zolang.
error-thread_limit = Bij deze melding kunnen geen berichten of bijlagen meer worden toegevoegd: het maximum is bereikt. Wat al verstuurd is, blijft bewaard.
error-storage_limit = De bijlagen bij deze melding nemen al de maximale ruimte in. Deze bijlage is niet opgeslagen; eerdere bijlagen blijven bewaard.
error-request_timeout = Het versturen duurde te lang en is afgebroken. Controleer uw verbinding en probeer het opnieuw.

# A report's end (issue 11): closing, reopening, a longer hold.
error-closing_reason_required = Kies een reden om de melding af te sluiten.
error-invalid_status_change = Deze statuswijziging kan niet: een melding wordt pas gearchiveerd nadat ze is afgesloten, en een reden voor afsluiten hoort alleen bij een afgesloten melding.
error-invalid_hold = Een langere bewaartermijn heeft een reden nodig en een datum na vandaag, hoogstens tien jaar vooruit.

# The organisation's side (issue 12): recipients, figures, forwards.
error-already_enrolled = Deze sleutel is al aangemeld bij deze organisatie.
error-invalid_invitation = Deze uitnodiging werkt niet (meer): ze is onbekend, al gebruikt of verlopen. Vraag de beheerder om een nieuwe.
error-invalid_period = Kies een afgelopen kwartaal (bijvoorbeeld 2026-Q3) of een afgelopen jaar (bijvoorbeeld 2026).
error-not_joined = Uw vertrouwenspersoon heeft uw gesprek nog niet aan deze brievenbus gekoppeld. Zodra dat gebeurd is, kunt u hier berichten sturen.
