# E-mail sent by the server (server/src/notices). A notice to a reporter
# says only that a message is waiting: never content, never the login code,
# never a link that carries a secret.
email-notice-subject = Nieuw bericht in uw beveiligde berichtenbox
email-notice-body =
    Goedendag,

    Er staat een nieuw bericht voor u klaar in uw beveiligde berichtenbox bij { $tenant }.

    Open uw berichtenbox op { $url } en log in met uw inlogcode.

    Dit bericht bevat bewust geen inhoud. U krijgt het omdat u dit e-mailadres bij uw melding hebt opgegeven. In uw berichtenbox kunt u het adres wijzigen of verwijderen.

# The advisors' daily digest: reports by short id and deadline only.
email-digest-subject = Termijnen van meldingen bij { $tenant } op { $day }
email-digest-intro = Termijnen op { $day } van de meldingen bij { $tenant } die aan u zijn toevertrouwd. Meldingen staan hier alleen met hun korte kenmerk; de inhoud leest u in uw eigen programma.
email-digest-overdue = Verstreken:
email-digest-upcoming = Binnenkort:
email-digest-acknowledgement = melding { $id }: ontvangstbevestiging uiterlijk { $due }
email-digest-feedback = melding { $id }: terugkoppeling uiterlijk { $due }
email-digest-agreed_update = melding { $id }: afgesproken termijn { $due }
email-digest-late = { $days ->
    [one] { $days } dag te laat
   *[other] { $days } dagen te laat
}
email-digest-left = { $days ->
    [0] vandaag
    [one] nog { $days } dag
   *[other] nog { $days } dagen
}
email-digest-footer = U krijgt dit overzicht elke dag waarop een termijn nadert of verstreken is, of een melding binnenkort wordt verwijderd.

# Issue 11: reports whose content is deleted soon (end of the retention period).
email-digest-deletions = Binnenkort verwijderd (einde van de bewaartermijn):
email-digest-deletion = melding { $id }: inhoud wordt verwijderd op { $due }

# Issue 11: the last notice, when the report is closed (nothing of the report).
email-closure-notice-body =
    Hallo,

    Er is nieuws over uw melding in uw beveiligde berichtenbox bij { $tenant }.

    Open uw berichtenbox op { $url } en log in met uw inlogcode.

    Dit is de laatste e-mail die u hierover krijgt: uw e-mailadres is nu verwijderd. Deze e-mail bevat bewust niets van het bericht.
