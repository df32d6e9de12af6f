"""Hand-written German and English coverage of fictional incidents, stored and analysed for real.

Incident "rheinau": a ransomware attack on a fictional utility, reported by a German outlet (with a
syndicated copy in a second outlet), a second German outlet and two English ones; the English reports
disagree on the number of servers (a contradiction the brief must flag). Incident "single": one short
English report with no dates, quotes or requirements. Incident "hostile": a report whose text carries
script tags, Markdown and HTML injection, control characters and a right-to-left override.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from incident_brief.config import NlpSettings
from incident_brief.corpus.dedup import content_hash
from incident_brief.corpus.records import Article
from incident_brief.corpus.store import Store
from incident_brief.nlp.analysis import Analyzer, analyze_store

NETZBOTE = "\n".join(
    [
        "Die Stadtwerke Rheinau sind Opfer eines Ransomware-Angriffs geworden. Unbekannte Täter hätten in"
        " der Nacht zum Montag zentrale Server verschlüsselt, teilte das Unternehmen am Dienstag mit.",
        "Betroffen seien das Kundenportal und die Abrechnung; die Strom- und Wasserversorgung laufe ohne "
        "Einschränkungen weiter. „Die Versorgung unserer Kundinnen und Kunden ist zu keinem Zeitpunkt "
        "gefährdet gewesen“, sagte Vorstand Jens Ober.",
        "Nach Angaben des Unternehmens verschafften sich die Angreifer über einen VPN-Zugang ohne "
        "Zwei-Faktor-Authentifizierung Zugriff auf das Netz. Das Landeskriminalamt ermittelt.",
        "Die Täter fordern ein Lösegeld von 2 Millionen Euro. Ober sagte, man werde nicht zahlen.",
        "Das Bundesamt für Sicherheit in der Informationstechnik forderte alle Versorger auf, Fernzugänge"
        " umgehend mit einem zweiten Faktor abzusichern.",
    ]
)

HANSEBLICK = "\n".join(
    [
        "Nach dem Cyberangriff auf die Stadtwerke Rheinau bleibt das Kundenportal des Versorgers "
        "voraussichtlich bis Ende März offline. Das Unternehmen arbeite mit externen Forensikern "
        "zusammen, hieß es.",
        "„Die Versorgung unserer Kundinnen und Kunden ist zu keinem Zeitpunkt gefährdet gewesen“, sagte "
        "Vorstand Jens Ober dem Hanseblick.",
        "Kundinnen und Kunden sollten bei E-Mails mit angeblichen Rechnungen der Stadtwerke besonders "
        "vorsichtig sein, warnte die Verbraucherzentrale.",
    ]
)

GRIDWATCH = "\n".join(
    [
        "Ransomware attackers encrypted 40 servers at the German utility Stadtwerke Rheinau overnight on "
        "Monday, the company said on Tuesday.",
        "Power and water supply were not affected, but the customer portal and billing systems remain "
        "offline.",
        '"The supply to our customers was never at risk," board member Jens Ober said.',
        "The attackers got in through a VPN account that lacked two-factor authentication, according to "
        "the company. The criminals are demanding a ransom of 2 million euros.",
    ]
)

UTILITYDIVE = "\n".join(
    [
        "Ransomware attackers encrypted 60 servers at the German utility Stadtwerke Rheinau overnight on "
        "Monday, the company said on Tuesday.",
        "State police in Baden-Württemberg are investigating the attack on Stadtwerke Rheinau, which "
        "serves about 120,000 customers.",
        "Germany's federal cyber security agency BSI urged all utilities to protect remote access with a "
        "second factor immediately.",
    ]
)

SINGLE = "\n".join(
    [
        "Brightwell Logistics has taken its parcel tracking website offline after detecting unusual "
        "activity on its network.",
        "Its warehouses continue to operate normally, and outside experts are helping to investigate the "
        "incident.",
        "Customers can still reach the support team by phone while the website is unavailable.",
    ]
)

HOSTILE = (
    "Attackers defaced the website of Kestrel Freight <script>alert('x')</script> and posted a ransom note. "
    "The note read [click here](javascript:alert(1)) and <img src=x onerror=alert(2)> in large letters.\n"
    "A spokesperson for Kestrel Freight said the \u202egnp.exe\u202c file was removed \x07and the site "
    "restored. "
    "Security researchers said the defacement used **bold** claims, `code` and # headings to look official.\n"
    '"We will publish everything | unless paid & fast", the attackers wrote on the defaced page.'
)


@dataclass(frozen=True)
class Corpus:
    path: Path
    incidents: dict[str, list[int]]  # incident id: article ids
    ids: dict[str, int]  # fixture name: article id
    texts: dict[int, str]


def build_corpus(path: Path) -> Corpus:
    """A database at `path` with the fixture articles, analysed by the real Analyzer."""
    articles = [
        ("netzbote", "https://www.netzbote.example/2026/03/stadtwerke-rheinau.html", "Netzbote", "de",
         "2026-03-03T09:00:00+01:00", "Ransomware legt Stadtwerke Rheinau lahm", NETZBOTE),
        ("netzbote-copy", "https://www.suedkurier.example/wirtschaft/stadtwerke-rheinau.html", "Südkurier",
         "de",
         "2026-03-03T11:30:00+01:00", "Ransomware legt Stadtwerke Rheinau lahm", NETZBOTE),
        ("hanseblick", "https://www.hanseblick.example/stadtwerke-rheinau-portal.html", "Hanseblick", "de",
         "2026-03-05T08:00:00+01:00", "Stadtwerke Rheinau: Portal bleibt wochenlang offline", HANSEBLICK),
        ("gridwatch", "https://gridwatch.example/news/stadtwerke-rheinau-ransomware", "GridWatch", "en",
         "2026-03-03T15:00:00+00:00", "Ransomware hits German utility Stadtwerke Rheinau", GRIDWATCH),
        ("utilitydive", "https://utilitynews.example/rheinau-ransomware", "Utility News", "en",
         "2026-03-04T10:00:00+00:00", "German utility Stadtwerke Rheinau hit by ransomware", UTILITYDIVE),
        ("single", "https://logisticsnews.example/brightwell-offline", "Logistics News", "en",
         "2026-04-10T10:00:00+00:00", "Brightwell Logistics takes tracking site offline", SINGLE),
        ("hostile", "https://freightwire.example/kestrel-defaced", "FreightWire <b>Daily</b>", "en",
         "2026-05-02T10:00:00+00:00", "Kestrel Freight defaced <script>alert(3)</script>", HOSTILE),
    ]  # fmt: skip
    ids: dict[str, int] = {}
    texts: dict[int, str] = {}
    with Store(path) as store, store.transaction() as db:
        for name, url, outlet, language, published, title, text in articles:
            article = Article(
                url=url,
                text=text,
                title=title,
                published=published,
                language=language,
                site_name=outlet,
                content_hash=content_hash(text),
                fetched_at="2026-05-03T00:00:00+00:00",
            )
            ids[name] = store.write_article(db, article, url)
            texts[ids[name]] = text
        store.link_duplicate(db, ids["netzbote-copy"], ids["netzbote"], "exact")
    with Store(path) as store:
        analyze_store(store, Analyzer(NlpSettings(workers=1)))
    incidents = {
        "rheinau": [ids[n] for n in ("netzbote", "netzbote-copy", "hanseblick", "gridwatch", "utilitydive")],
        "single": [ids["single"]],
        "hostile": [ids["hostile"]],
    }
    return Corpus(path, incidents, ids, texts)
