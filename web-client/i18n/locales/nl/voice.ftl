# Voice messages (spraakberichten) on the report form and in the mailbox
# (web-client/js/voice-loader.js and js/voice.js), and their playback in the
# advisor console (keys/src/console/voice.rs). Plain language (B1).

## Reporter
voice-open = Spraakbericht opnemen
voice-title = Spraakbericht
voice-explain = U kunt ook inspreken wat u wilt vertellen. Uw browser neemt het op en versleutelt het, net als een bijlage. Vervormen maakt uw stem minder herkenbaar, niet onherkenbaar: uw woordkeus, accent en de geluiden op de achtergrond blijven hoorbaar.
voice-disguise = Vervorm mijn stem
voice-disguise-required = Dit meldpunt vervormt elke opname. Uw eigen stem wordt niet opgenomen.
voice-disguise-optional = Met vervormen wordt uw eigen stem niet opgenomen. U kunt het uitzetten als u herkend wilt worden.
voice-start = Opname starten
voice-stop = Opname stoppen
voice-close = Sluiten
voice-recording = Opname loopt: { $elapsed } (hoogstens { $max }).
voice-stopped = Opname gestopt na { $elapsed }. Luister hieronder.
voice-limit-reached = De opname is gestopt na { $elapsed }: langer kan niet. Luister hieronder.
voice-recorded = Uw opname (zo hoort de vertrouwenspersoon het):
voice-listen = Uw opname beluisteren
voice-discard = Weggooien
voice-discarded = De opname is weggegooid.
voice-add-report = Toevoegen aan mijn melding
voice-add-message = Toevoegen aan mijn bericht
voice-added = { $name } is toegevoegd. Het wordt versleuteld verstuurd met uw melding of bericht.
voice-remove = Verwijderen
voice-remove-named = { $name } verwijderen
voice-removed = { $name } is verwijderd.
voice-error-unsupported = Deze browser kan geen geluid opnemen. Gebruik een recente versie van Firefox, Chrome, Edge of Safari, of schrijf uw melding.
voice-error-denied = De browser mag de microfoon niet gebruiken. Geef toestemming in de instellingen van uw browser (meestal via het slotje naast het adres) en probeer het opnieuw.
voice-error-no-microphone = Er is geen microfoon gevonden. Sluit een microfoon of headset aan en probeer het opnieuw.
voice-error-failed = Het opnemen is niet gelukt. Probeer het opnieuw, of schrijf uw melding.

## Console
voice-console-listen = Beluisteren: { $name }
