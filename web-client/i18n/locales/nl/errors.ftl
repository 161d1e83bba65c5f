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
