from incident_brief.config import DedupSettings
from incident_brief.corpus.dedup import NearDuplicateDetector, content_hash, normalize_url

BODY = (
    "Der kommunale IT-Dienstleister Rhein-Neckar Kommunal-IT ist Opfer eines Cyberangriffs geworden. "
    "Nach Angaben des Unternehmens wurden in der Nacht zum Dienstag alle Systeme vorsorglich "
    "heruntergefahren. "
    "Betroffen sind 74 Kommunen, deren Bürgerämter und Zulassungsstellen vorerst geschlossen bleiben. "
    "Die Täter verlangen ein Lösegeld von 3,2 Millionen Euro in Bitcoin, teilte Geschäftsführer "
    "Martin Albrecht mit. "
    "Das Landeskriminalamt ermittelt, das BSI unterstützt bei der Analyse des Vorfalls. "
)


def test_normalize_url_removes_tracking_fragment_and_case():
    assert normalize_url("HTTPS://WWW.News.Example:443/a/b/?utm_source=rss&fbclid=x&id=7#top") == (
        "https://www.news.example/a/b?id=7"
    )
    assert normalize_url("https://news.example/") == "https://news.example/"
    assert normalize_url("https://news.example/story?b=2&a=1") == "https://news.example/story?a=1&b=2"
    assert normalize_url("file:///tmp/a.html") == "file:///tmp/a.html"


def test_content_hash_ignores_case_and_whitespace_only():
    assert content_hash("Ein  Text\nmit Umbruch") == content_hash("ein text mit umbruch")
    assert content_hash("Ein Text") != content_hash("Ein anderer Text")


def test_near_duplicate_of_an_update_is_found_and_unrelated_text_is_not():
    detector = NearDuplicateDetector(DedupSettings())
    original = detector.signature(BODY * 2)
    update = detector.signature(
        BODY * 2 + "Update: Am Mittwoch meldete sich die Gruppe Akira auf ihrer Leak-Seite."
    )
    other = detector.signature(
        "Microsoft hat ein Sicherheitsupdate für Exchange veröffentlicht, das eine kritische Lücke schließt. "
        * 3
    )
    assert detector.similarity(original, update) >= 0.8
    assert detector.similarity(original, other) < 0.2
    # banding: the update shares a bucket with the original, the unrelated text shares none
    assert set(detector.band_keys(original)) & set(detector.band_keys(update))
    assert not set(detector.band_keys(original)) & set(detector.band_keys(other))


def test_band_layout_for_default_threshold():
    detector = NearDuplicateDetector(DedupSettings(near_duplicate_threshold=0.8, num_perm=128))
    # 21 bands of 6 rows: P(candidate | Jaccard 0.8) = 1 - (1 - 0.8**6)**21 = 0.998
    assert (detector.bands, detector.rows_per_band) == (21, 6)
