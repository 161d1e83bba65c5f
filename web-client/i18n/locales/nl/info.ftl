# The tenant's information page (server/src/pages/info.rs): no script,
# printed as well as read. Plain language: the reader may be upset or
# afraid, and may read this before deciding to report at all.

info-link = Over dit meldpunt
info-title = Over dit meldpunt
info-toc = Op deze pagina

info-intro-title = Waarvoor dit meldpunt is
info-intro-default-1 = Via dit meldpunt kunt u een vermoeden van een misstand of van ongewenst gedrag bij { $tenant } melden bij een vertrouwenspersoon. Bijvoorbeeld fraude, gevaar voor de veiligheid of de gezondheid, intimidatie, pesten of discriminatie.
info-intro-default-2 = U kunt anoniem melden of met uw naam. U kunt ook eerst alleen een vraag stellen of om een gesprek vragen. Een vertrouwenspersoon luistert, denkt met u mee en onderneemt niets zonder uw toestemming.

info-advisors-title = Wie uw melding leest
info-advisors-intro = Dit zijn de vertrouwenspersonen van dit meldpunt. Als u meldt, kiest u zelf wie van hen uw melding mag lezen.
info-advisors-none = Er zijn op dit moment geen vertrouwenspersonen die meldingen ontvangen.

info-confidential-title = Wat vertrouwelijk blijft, en de grenzen daarvan
info-confidential-1 = Uw melding wordt in uw eigen browser versleuteld voordat zij wordt verstuurd. Alleen de vertrouwenspersonen die u kiest kunnen haar lezen, en een herstelsleutel die de organisatie offline bewaart voor het geval geen vertrouwenspersoon meer bij uw melding kan. De beheerder van deze website kan uw melding niet lezen.
info-confidential-2 = Uw identiteit blijft geheim. Uw naam, of iets waaraan u te herkennen bent, wordt alleen doorgegeven met uw uitdrukkelijke, schriftelijke toestemming.
info-confidential-3 = Daarop zijn wettelijke uitzonderingen. Als de wet ertoe verplicht, bijvoorbeeld in een strafzaak, bij een bevel van de rechter of bij een onderzoek door een bevoegde autoriteit, kan uw identiteit zonder uw toestemming worden gegeven aan wie daar recht op heeft. U hoort dat dan vooraf, met de reden, tenzij dat het onderzoek of de rechtszaak in gevaar brengt.
info-confidential-4 = Zonder uw toestemming deelt de vertrouwenspersoon de inhoud van uw melding met niemand. Moet er iets worden doorgestuurd, bijvoorbeeld naar HR of een klachtencommissie, dan vraagt de vertrouwenspersoon u eerst om akkoord.
info-confidential-5 = Wie te goeder trouw meldt, is door de Wet bescherming klokkenluiders beschermd tegen benadeling, zoals ontslag, overplaatsing of intimidatie. Dat geldt ook voor wie u daarbij helpt.

info-terms-title = Termijnen
info-months = { $count ->
    [one] { $count } maand
   *[other] { $count } maanden
}
info-terms-acknowledgement = U krijgt binnen { $days } een bevestiging dat uw melding is ontvangen.
info-terms-feedback = Binnen { $months } na die bevestiging hoort u wat er met uw melding is gedaan.
info-terms-mailbox = Berichten van de vertrouwenspersoon leest u in uw brievenbus op deze website, met de inlogcode die u krijgt als u meldt. Laat u een e-mailadres achter, dan krijgt u alleen een bericht dát er iets voor u klaarstaat, nooit de inhoud.

info-retention-title = Hoe lang uw melding wordt bewaard
info-retention-content = De inhoud van uw melding en alle berichten worden { $months } nadat de melding is afgesloten definitief verwijderd.
info-retention-register = Daarna blijft in het register van meldingen alleen een regel zonder inhoud (een nummer, data, de categorie en hoe de melding is afgesloten), tot { $months } na het afsluiten.
info-retention-silence = Reageert u { $weeks } weken niet, dan kan de vertrouwenspersoon uw melding afsluiten. U krijgt daarvoor eerst een waarschuwing in uw brievenbus.
info-retention-hold = Alleen als het nodig is, bijvoorbeeld voor een rechtszaak of een onderzoek door een toezichthouder, kan een melding langer worden bewaard.

info-privacy-title = Privacyverklaring
info-privacy-default-1 = { $tenant } gebruikt de gegevens in een melding alleen om de melding te behandelen, zoals de Wet bescherming klokkenluiders dat vraagt.
info-privacy-default-2 = Deze website bewaart geen IP-adressen en geen gegevens over uw browser, plaatst geen cookies om u te volgen en laadt niets van andere websites. Deze pagina gebruikt zelfs geen JavaScript.
info-privacy-default-3 = Wat u meldt, kunnen alleen de vertrouwenspersonen lezen die u kiest. Het wordt bewaard zolang hierboven staat en daarna verwijderd.
info-privacy-default-4 = U heeft recht op inzage in en correctie of verwijdering van uw gegevens, voor zover de wet dat toelaat. Vraag daarom via uw brievenbus. Bent u het niet eens met hoe met uw gegevens wordt omgegaan, dan kunt u een klacht indienen bij de Autoriteit Persoonsgegevens.

info-meldregeling-title = De meldregeling van de organisatie
info-meldregeling-pdf = De meldregeling lezen (PDF, { $size })
info-meldregeling-none = De meldregeling staat hier (nog) niet. Vraag ernaar bij een vertrouwenspersoon of bij uw organisatie.

info-channels-title = Melden buiten de organisatie
info-channels-intro = U mag ook rechtstreeks melden bij een instantie buiten de organisatie, in plaats van of na een melding hier. Het Huis voor Klokkenluiders geeft gratis en vertrouwelijk advies. Over een bepaald terrein kunt u melden bij de bevoegde autoriteit of de toezichthouder daarvan.
info-channels-own = Ook voor deze organisatie
info-channel-designated = Bevoegde autoriteit volgens de Wet bescherming klokkenluiders.
info-channel-website = Website
info-channel-phone = Telefoon
info-channels-reviewed = Deze lijst is voor het laatst gecontroleerd op { $day }.
