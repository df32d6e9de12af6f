"""Analysis throughput: `brief analyze` over 1,000 stored articles of ~600 words, half German, half English.

Prints articles/s and peak memory (the `brief` process and any children) of one `brief --db DB analyze
--json` run, and, measured in a fresh process, the time to load the German and the English pipeline.
Targets (issue 3): >= 15 articles/s on a 2-core machine, < 1.5 GB, model load < 5 s.

    python benchmarks/analyze_throughput.py [--articles 1000] [--seed 7] [--profile]

The articles are generated from sentence templates (security news: victims, vendors, agencies, people
with roles, quotes, threat actors, malware, products, CVEs, dates, now and then an IP address, domain or
hash), with a fixed seed, and written to a temporary SQLite database through the store API as
`brief collect` writes them. When the rate is below the target, or with --profile, the analysis of a
sample is timed step by step (language identification, tokenizer, each pipeline component, per language)
in this process, to show where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from process_stats import cpu_model, run_measured  # sibling module (benchmarks run as scripts)

TARGET_RATE = 15.0  # articles/s
TARGET_MEMORY_MB = 1536
TARGET_LOAD_S = 5.0

FIRST_NAMES = {
    "en": "Sarah James Emily Michael Laura David Rachel Thomas Olivia Daniel Priya Mark Hannah Kevin".split(),
    "de": "Katrin Jürgen Anna Matthias Sabine Stefan Julia Andreas Claudia Tobias Miriam Florian Ute".split(),
}
LAST_NAMES = {
    "en": "Whitfield Morgan Carter Hughes Patel Brennan Okafor Sullivan Reyes Lindqvist Harper Doyle".split(),
    "de": "Hoffmann Becker Schulze Wagner Krüger Lehmann Brandt Vogel Keller Hartmann Seidel".split(),
}
VICTIMS = {
    "en": [
        "Meridian Health Partners",
        "Northgate Logistics",
        "Halvorsen Shipping",
        "Bay State Water Authority",
        "Crestline Bank",
        "Ashford County Council",
        "Pinecrest University",
        "Atlas Freight Group",
        "Redwood Insurance",
        "Silverline Telecom",
        "Harbor City Hospital",
        "Kestrel Aerospace",
    ],
    "de": [
        "Wasserversorgung Lindenau",
        "Oberrhein-Klinik",
        "Spedition Brenner",
        "Volksbank Mittelfranken",
        "Kreisverwaltung Rheinau",
        "Hochschule Weserbergland",
        "Maschinenbau Keller AG",
        "Energieversorgung Nordheide",
        "Kreissparkasse Tauberland",
        "Uniklinik Sonnenfeld",
        "Gruber Automobile GmbH",
        "Südwest Chemie GmbH",
    ],
}
CITIES = {
    "en": "London Boston Chicago Manchester Dublin Seattle Denver Toronto Atlanta Leeds".split(),
    "de": "Berlin Hamburg München Köln Stuttgart Leipzig Dresden Hannover Bremen Nürnberg".split(),
}
VENDORS = [
    "Mandiant",
    "CrowdStrike",
    "Microsoft",
    "Palo Alto Networks",
    "ESET",
    "Sophos",
    "Check Point",
    "Recorded Future",
    "Secureworks",
    "Trend Micro",
    "Kaspersky",
    "Google Threat Intelligence Group",
]
AGENCIES = {
    "en": ["CISA", "the FBI", "the NCSC", "Europol", "the NSA", "the Department of Justice"],
    "de": ["das BSI", "das Bundeskriminalamt", "die Staatsanwaltschaft", "der Verfassungsschutz", "Europol"],
}
ACTORS = [
    "APT29",
    "Midnight Blizzard",
    "Cozy Bear",
    "Sandworm",
    "APT28",
    "Fancy Bear",
    "Lazarus Group",
    "Volt Typhoon",
    "Scattered Spider",
    "LockBit",
    "BlackCat",
    "Cl0p",
    "Akira",
    "Black Basta",
    "Kimsuky",
    "Turla",
    "FIN7",
]
MALWARE = [
    "Cobalt Strike",
    "Mimikatz",
    "QakBot",
    "Emotet",
    "IcedID",
    "SystemBC",
    "PlugX",
    "BlackEnergy",
    "DarkGate",
]
PRODUCTS = [
    "Fortinet FortiGate",
    "Ivanti Connect Secure",
    "Citrix NetScaler",
    "MOVEit Transfer",
    "Microsoft Exchange",
    "VMware ESXi",
    "Palo Alto PAN-OS",
    "Cisco IOS XE",
    "Atlassian Confluence",
    "SAP NetWeaver",
]
ROLES = {
    "en": [
        "chief information security officer",
        "chief executive",
        "spokesperson",
        "head of threat intelligence",
        "senior researcher",
        "chief technology officer",
        "incident response lead",
    ],
    "de": [
        "IT-Sicherheitschef",
        "Vorstandschef",
        "Sprecher",
        "Leiter der Bedrohungsanalyse",
        "Geschäftsführer",
        "Sicherheitsforscher",
        "Datenschutzbeauftragter",
    ],
}
MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
}
RELATIVE_DAYS = {
    "en": ["last Tuesday", "on Monday", "earlier this week", "last Friday", "over the weekend", "yesterday"],
    "de": [
        "am vergangenen Dienstag",
        "am Montag",
        "Anfang der Woche",
        "am Freitag",
        "am Wochenende",
        "gestern",
    ],
}

# {p1} {p2} {p3}: people, in full ("name, role at employer") at the first mention, then by surname
# ({p1c}: with a comma after the full form, inside a sentence);
# the other slots are filled once per article, except {date} and {amount}.
LEADS = {
    "en": [
        "{victim}, based in {city}, said {rel} that attackers had broken into its network and encrypted "
        "servers, disrupting services for thousands of customers.",
        "A ransomware attack on {victim} has disrupted operations since {date}, the company confirmed in a "
        "statement to customers and regulators.",
        "Hackers linked to {actor} exploited a flaw in {product} to gain access to systems at {victim}, "
        "according to investigators familiar with the incident.",
    ],
    "de": [
        "Die {victim} mit Sitz in {city} ist Opfer eines Cyberangriffs geworden, bei dem Server "
        "verschlüsselt und Kundendaten abgegriffen wurden.",
        "Ein Ransomware-Angriff legt seit dem {date} weite Teile der IT der {victim} lahm, wie das "
        "Unternehmen in einer Mitteilung bestätigte.",
        "Angreifer der Gruppe {actor} haben eine Schwachstelle in {product} ausgenutzt, um in die Systeme "
        "der {victim} einzudringen, berichten Ermittler.",
    ],
}
SENTENCES = {
    "en": [
        '"We detected unusual activity on {date} and immediately isolated the affected systems," said {p1}.',
        "{p2c} told reporters that the company had engaged {vendor} to investigate the breach.",
        "According to {vendor}, the intruders used {malware} to move laterally and harvest credentials "
        "before deploying the ransomware.",
        "The vulnerability, tracked as {cve}, affects {product} and was patched by the vendor in {month}.",
        "{agency} added {cve} to its catalogue of known exploited vulnerabilities and urged organisations "
        "to apply the update within two weeks.",
        "Researchers at {vendor} attributed the campaign to {actor}, a group that has targeted "
        "{sector} organisations in Europe and North America since {year}.",
        '"This is a well-resourced actor that knows exactly what it is looking for," said {p3}.',
        "The attackers demanded a ransom of {amount} million dollars in bitcoin, a person familiar with the "
        "matter said.",
        "{victim} said it had notified {agency} and the data protection regulator within 72 hours.",
        "Customers were asked to reset their passwords and to be wary of phishing emails referring to the "
        "incident.",
        "Forensic analysts found that the first intrusion dated back to {date}, weeks before the encryption "
        "started.",
        "The group's leak site listed {victim} on {date} and threatened to publish {amount}00 gigabytes of "
        "stolen files.",
        "Investigators observed connections to the command-and-control server at {ip} and to the domain "
        "{domain}.",
        "One of the dropped files had the SHA-256 hash {hash}, which {vendor} has linked to earlier "
        "{actor} operations.",
        "{p2c} said backups had not been affected and that most systems would be restored by {weekday}.",
        "In a joint advisory, {agency} and {vendor} recommended disabling unused remote access services "
        "and enforcing multi-factor authentication.",
        "Shares of {victim} fell {amount} percent in early trading in {city} after the disclosure.",
        '"We are working around the clock with external experts to restore our services," {p1c} said in a '
        "video message to staff.",
        "The incident is the latest in a series of attacks on {sector} providers this year.",
        "{actor} has previously been linked to intrusions at government agencies, telecom operators and "
        "defence contractors.",
        "Emergency patches for {product} were released {rel}, but many internet-facing devices remain "
        "unpatched, scans by {vendor} show.",
        "Police in {city} have opened an investigation, a spokesperson for {agency} confirmed.",
        "{p3c} cautioned that attribution was still preliminary and based on overlaps in tooling and "
        "infrastructure.",
        "The company has not said how many people were affected, but a filing with regulators on {date} "
        "mentioned personal data of customers and employees.",
        "Experts said the use of {malware} and of legitimate administration tools made the activity hard to "
        "distinguish from normal traffic.",
        "{victim} operates {amount} sites across the region and employs several thousand people.",
        "The breach comes weeks after {agency} warned that {actor} was scanning the internet for vulnerable "
        "{product} appliances.",
        "The group typically gains initial access through stolen VPN credentials or phishing emails that "
        "carry {malware}, {p3c} said.",
        "The company's website and customer portal remained offline on {date}, and its phone lines were "
        "overloaded.",
        "Analysts noted that {actor} often publishes stolen data in instalments to raise the pressure on "
        "its victims.",
        "A spokesperson for {agency} declined to comment on the investigation, citing ongoing proceedings.",
        "Insurance experts estimate that the outage could cost {victim} more than {amount} million dollars.",
        "Microsoft and {vendor} have published detection rules for the activity, including indicators for "
        "{malware}.",
        "Earlier this year a similar attack on a hospital group in {city} forced staff to return to pen and "
        "paper for several weeks.",
    ],
    "de": [
        "„Wir haben am {date} ungewöhnliche Aktivitäten festgestellt und die betroffenen Systeme sofort "
        "vom Netz genommen“, sagte {p1}.",
        "{p2c} erklärte, man habe den Dienstleister {vendor} mit der forensischen Untersuchung beauftragt.",
        "Nach Angaben von {vendor} nutzten die Täter {malware}, um sich im Netzwerk auszubreiten und "
        "Zugangsdaten abzugreifen.",
        "Die Schwachstelle mit der Kennung {cve} betrifft {product} und wurde vom Hersteller im {month} "
        "geschlossen.",
        "{agency} warnte vor der aktiven Ausnutzung von {cve} und rief Betreiber auf, das Update umgehend "
        "einzuspielen.",
        "Forscher von {vendor} schreiben die Kampagne der Gruppe {actor} zu, die seit {year} vor allem "
        "Einrichtungen im Bereich {sector} angreift.",
        "„Das ist ein sehr professionell vorgehender Akteur, der genau weiß, wonach er sucht“, sagte {p3}.",
        "Die Erpresser fordern nach Informationen aus Unternehmenskreisen ein Lösegeld von {amount} "
        "Millionen Euro in Bitcoin.",
        "Die {victim} hat nach eigenen Angaben {agency} und die zuständige Datenschutzbehörde informiert.",
        "Kunden werden gebeten, ihre Passwörter zu ändern und bei E-Mails mit Bezug auf den Vorfall "
        "besonders vorsichtig zu sein.",
        "Die Forensiker fanden heraus, dass der erste Zugriff bereits am {date} erfolgte, Wochen vor der "
        "Verschlüsselung.",
        "Auf ihrer Leak-Seite führte die Gruppe die {victim} am {date} als Opfer auf und drohte mit der "
        "Veröffentlichung von {amount}00 Gigabyte Daten.",
        "Die Ermittler beobachteten Verbindungen zum Steuerungsserver unter {ip} und zur Domain {domain}.",
        "Eine der abgelegten Dateien hat den SHA-256-Hash {hash}, den {vendor} früheren Operationen von "
        "{actor} zuordnet.",
        "{p2c} sagte, die Datensicherungen seien nicht betroffen, die meisten Systeme sollen bis {weekday} "
        "wieder laufen.",
        "In einer gemeinsamen Warnung empfehlen {agency} und {vendor}, nicht benötigte Fernzugänge "
        "abzuschalten und Zwei-Faktor-Authentifizierung durchzusetzen.",
        "Die Aktie der {victim} verlor nach der Mitteilung im frühen Handel in {city} {amount} Prozent.",
        "„Wir arbeiten rund um die Uhr mit externen Experten daran, unsere Dienste wiederherzustellen“, "
        "sagte {p1c} in einer Videobotschaft an die Belegschaft.",
        "Der Vorfall reiht sich in eine Serie von Angriffen auf Unternehmen im Bereich {sector} in diesem "
        "Jahr ein.",
        "{actor} wird bereits mit Angriffen auf Behörden, Telekommunikationsanbieter und Rüstungsfirmen in "
        "Verbindung gebracht.",
        "Notfall-Patches für {product} wurden {rel} veröffentlicht, doch viele aus dem Internet erreichbare "
        "Geräte sind laut Scans von {vendor} noch ungepatcht.",
        "Die Polizei in {city} hat Ermittlungen aufgenommen, wie ein Sprecher der Behörde bestätigte.",
        "{p3c} betonte, die Zuordnung sei vorläufig und beruhe auf Überschneidungen bei Werkzeugen und "
        "Infrastruktur.",
        "Wie viele Menschen betroffen sind, ist noch unklar; eine Meldung an die Aufsicht vom {date} nennt "
        "personenbezogene Daten von Kunden und Beschäftigten.",
        "Experten zufolge ist der Einsatz von {malware} und legitimen Verwaltungswerkzeugen vom normalen "
        "Datenverkehr kaum zu unterscheiden.",
        "Die {victim} betreibt {amount} Standorte in der Region und beschäftigt mehrere tausend Menschen.",
        "Erst vor wenigen Wochen hatte {agency} davor gewarnt, dass {actor} gezielt nach verwundbaren "
        "Geräten mit {product} sucht.",
        "Die Gruppe verschaffe sich meist über gestohlene VPN-Zugangsdaten oder Phishing-Mails mit {malware} "
        "Zugang, sagte {p3}.",
        "Die Website und das Kundenportal waren am {date} nicht erreichbar, die Telefonleitungen überlastet.",
        "Analysten zufolge veröffentlicht {actor} erbeutete Daten häufig in Etappen, um den Druck auf die "
        "Opfer zu erhöhen.",
        "Ein Sprecher von {agency} wollte sich mit Verweis auf die laufenden Ermittlungen nicht äußern.",
        "Versicherungsexperten schätzen den Schaden für die {victim} auf mehr als {amount} Millionen Euro.",
        "Microsoft und {vendor} haben Erkennungsregeln für die Angriffe veröffentlicht, darunter Indikatoren "
        "für {malware}.",
        "Anfang des Jahres musste nach einem ähnlichen Angriff eine Klinikgruppe in {city} wochenlang mit "
        "Papier und Stift arbeiten.",
    ],
}
SECTORS = {
    "en": ["healthcare", "logistics", "energy", "financial", "public sector", "manufacturing"],
    "de": ["Gesundheitswesen", "Logistik", "Energie", "Finanzen", "öffentliche Verwaltung", "Industrie"],
}
WEEKDAYS = {
    "en": ["Monday", "Wednesday", "Friday", "the end of the week", "next week"],
    "de": ["Montag", "Mittwoch", "Freitag", "Ende der Woche", "nächste Woche"],
}


@dataclass
class GeneratedArticle:
    url: str
    title: str
    text: str
    language: str
    published: str


def make_articles(count: int, seed: int = 7) -> list[GeneratedArticle]:
    """`count` articles, alternating English and German, each of about 600 words."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    articles = []
    for i in range(count):
        language = "en" if i % 2 == 0 else "de"
        published = start + timedelta(hours=3 * i)
        title, text = make_article(rng, language, published)
        url = f"https://news{i % 25}.example/{language}/{published:%Y/%m/%d}/incident-{i}"
        articles.append(GeneratedArticle(url, title, text, language, published.isoformat()))
    return articles


def make_article(rng: random.Random, language: str, published: datetime) -> tuple[str, str]:
    people = [_person(rng, language) for _ in range(3)]
    mentioned: set[str] = set()
    slots = {
        "victim": rng.choice(VICTIMS[language]),
        "city": rng.choice(CITIES[language]),
        "actor": rng.choice(ACTORS),
        "product": rng.choice(PRODUCTS),
        "vendor": rng.choice(VENDORS),
        "agency": rng.choice(AGENCIES[language]),
        "malware": rng.choice(MALWARE),
        "sector": rng.choice(SECTORS[language]),
        "cve": f"CVE-{rng.randint(2021, 2026)}-{rng.randint(1000, 49999)}",
        "month": rng.choice(MONTHS[language]),
        "year": str(rng.randint(2014, 2023)),
        "weekday": rng.choice(WEEKDAYS[language]),
        "rel": rng.choice(RELATIVE_DAYS[language]),
        "ip": f"{rng.randint(23, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "domain": f"{rng.choice(['update', 'cdn', 'sync', 'login'])}-{rng.choice(['check', 'portal'])}"
        f"{rng.randint(1, 99)}.{rng.choice(['com', 'net', 'info', 'ru'])}",
        "hash": "".join(rng.choice("0123456789abcdef") for _ in range(64)),
    }
    target_words = rng.randint(570, 630)
    templates = [rng.choice(LEADS[language])]
    pool: list[str] = []
    sentences: list[str] = []
    words = 0
    while words < target_words:
        if not templates:
            if not pool:
                pool = rng.sample(SENTENCES[language], len(SENTENCES[language]))
            templates.append(pool.pop())
        template = templates.pop()
        slots["date"] = _date(rng, language, published)
        slots["amount"] = str(rng.randint(2, 40))
        for key, (full, surname) in zip(("p1", "p2", "p3"), people, strict=True):
            slots[key] = surname if key in mentioned else full
            slots[key + "c"] = surname if key in mentioned else full + ","
            if "{" + key in template:
                mentioned.add(key)
        sentence = template.format(**slots)
        sentences.append(sentence[0].upper() + sentence[1:])
        words += len(sentence.split())
    paragraphs = []
    while sentences:
        size = rng.randint(2, 4)
        paragraphs.append(" ".join(sentences[:size]))
        del sentences[:size]
    title = (
        f"{slots['victim']} hit by cyberattack; {slots['actor']} suspected"
        if language == "en"
        else f"Cyberangriff auf {slots['victim']}: Spur führt zu {slots['actor']}"
    )
    return title, "\n".join(paragraphs)


def _person(rng: random.Random, language: str) -> tuple[str, str]:
    """The first mention ("name, role at employer") and the later ones (the surname)."""
    surname = rng.choice(LAST_NAMES[language])
    name = f"{rng.choice(FIRST_NAMES[language])} {surname}"
    role = rng.choice(ROLES[language])
    employer = rng.choice(VICTIMS[language] + VENDORS)
    at = "at" if language == "en" else "bei"
    return f"{name}, {role} {at} {employer}", surname


def _date(rng: random.Random, language: str, published: datetime) -> str:
    day = published - timedelta(days=rng.randint(1, 40))
    month = MONTHS[language][day.month - 1]
    return f"{month} {day.day}" if language == "en" else f"{day.day}. {month}"


def store_articles(db: Path, articles: list[GeneratedArticle]) -> None:
    """Write the articles as `brief collect` does: normalised URL as key, content hash, one transaction."""
    from incident_brief.corpus.dedup import content_hash, normalize_url
    from incident_brief.corpus.records import Article
    from incident_brief.corpus.store import Store, now_iso

    with Store(db) as store, store.transaction() as connection:
        for generated in articles:
            article = Article(
                url=generated.url,
                text=generated.text,
                title=generated.title,
                published=generated.published,
                language=generated.language,
                language_confidence=1.0,
                site_name="Bench News",
                extractor="benchmark",
                source="bench",
                content_hash=content_hash(generated.text),
                fetched_at=now_iso(),
            )
            store.write_article(connection, article, normalize_url(generated.url))


def run_analyze(db: Path) -> tuple[float, tuple[int, int], dict]:
    command = [sys.executable, "-m", "incident_brief.cli", "--db", str(db), "analyze", "--json"]
    run = run_measured(command)
    if run.returncode != 0:
        raise SystemExit(f"brief analyze failed ({run.returncode}): {run.stderr.decode()[-2000:]}")
    return run.seconds, (run.peak_pss_kb, run.peak_rss_kb), json.loads(run.stdout)


LOAD_SCRIPT = """
import json, time
started = time.perf_counter()
from incident_brief.config import NlpSettings
from incident_brief.nlp.analysis import Analyzer

analyzer = Analyzer(NlpSettings())
imported = time.perf_counter()
analyzer.pipelines.get("de")
german = time.perf_counter()
analyzer.pipelines.get("en")
english = time.perf_counter()
print(json.dumps({"import": imported - started, "de": german - imported, "en": english - german}))
"""


def measure_load() -> dict[str, float]:
    """Import and pipeline load times in a fresh interpreter (nothing cached in this process)."""
    result = subprocess.run([sys.executable, "-c", LOAD_SCRIPT], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"loading the pipelines failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def profile(articles: list[GeneratedArticle], sample: int) -> None:
    """Time each step of the analysis of `sample` articles per language, in this process."""
    from incident_brief.config import NlpSettings
    from incident_brief.nlp.analysis import Analyzer, TextItem

    settings = NlpSettings()
    analyzer = Analyzer(settings)
    print(f"\nprofile ({sample} articles per language, in one process, pipelines already loaded):")
    for language in ("de", "en"):
        chosen = [a for a in articles if a.language == language][:sample]
        items = [TextItem(a.text, a.url, None, a.published) for a in chosen]
        nlp = analyzer.pipelines.get(language).nlp
        steps: list[tuple[str, float]] = []
        started = time.perf_counter()
        for item in items:
            analyzer.segments(item)
        steps.append(("language identification", time.perf_counter() - started))
        started = time.perf_counter()
        docs = [nlp.make_doc(item.text) for item in items]
        steps.append(("tokenizer", time.perf_counter() - started))
        for doc, item in zip(docs, items, strict=True):
            doc._.published = item.published
        for name, component in nlp.pipeline:
            started = time.perf_counter()
            if hasattr(component, "pipe"):
                docs = list(component.pipe(docs, batch_size=settings.batch_size))
            else:
                docs = [component(doc) for doc in docs]
            steps.append((name, time.perf_counter() - started))
        started = time.perf_counter()
        list(analyzer.analyze_many(items))
        whole = time.perf_counter() - started
        parts = sum(seconds for _name, seconds in steps)
        print(
            f"  {language}: analyze_many {whole:.2f} s = {len(items) / whole:.1f} articles/s; "
            f"steps timed one by one {parts:.2f} s"
        )
        for name, seconds in steps:
            print(f"    {name:28} {seconds:6.2f} s  {1000 * seconds / len(items):6.1f} ms/article")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="always time the steps of the analysis")
    parser.add_argument("--profile-sample", type=int, default=100, metavar="N", help="articles per language")
    args = parser.parse_args()

    articles = make_articles(args.articles, args.seed)
    words = {lang: [len(a.text.split()) for a in articles if a.language == lang] for lang in ("de", "en")}
    print(
        f"machine: {os.cpu_count()} cores, {cpu_model()}; load average before the run "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(
        f"articles: {len(articles)} ("
        + ", ".join(
            f"{lang} {len(w)}, {sum(w) / max(len(w), 1):.0f} words on average" for lang, w in words.items()
        )
        + ")"
    )
    load = measure_load()
    print(
        f"model load (fresh process): imports {load['import']:.2f} s, German pipeline {load['de']:.2f} s, "
        f"English pipeline {load['en']:.2f} s; both pipelines {load['de'] + load['en']:.2f} s "
        f"(target < {TARGET_LOAD_S:.0f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store_articles(db, articles)
        elapsed, (peak_pss, peak_rss), report = run_analyze(db)
    rate = report["analyzed"] / elapsed
    print(
        f"brief analyze: {report['analyzed']} articles analysed {report['languages']}, {elapsed:.1f} s "
        f"(process start and model load included), {rate:.1f} articles/s (target >= {TARGET_RATE:.0f}); "
        f"peak memory {peak_pss / 1024:.0f} MB PSS (target < {TARGET_MEMORY_MB} MB; "
        f"RSS summed over processes, counting shared model pages once per process: {peak_rss / 1024:.0f} MB)"
    )
    loaded = load["import"] + load["de"] + load["en"]
    if elapsed > loaded:
        print(
            f"  without imports and model load (as measured above): "
            f"{report['analyzed'] / (elapsed - loaded):.1f} articles/s; load average after the run "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
    if args.profile or rate < TARGET_RATE:
        profile(articles, args.profile_sample)


if __name__ == "__main__":
    main()
