"""The transformers path, with a tiny BERT token classifier this test trains itself (no download)."""

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from incident_brief.config import NlpSettings  # noqa: E402
from incident_brief.errors import ModelError  # noqa: E402
from incident_brief.nlp.analysis import Analyzer  # noqa: E402

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]
SENTENCES = [
    (["Moses", "sagte", "gegenüber", "Bloomberg", "etwas", "."], ["B-PER", "O", "O", "B-ORG", "O", "O"]),
    (["Amazon", "verzögerte", "die", "Einführung", "."], ["B-ORG", "O", "O", "O", "O"]),
    (["Charlie", "Bell", "sagte", "etwas", "."], ["B-PER", "I-PER", "O", "O", "O"]),
    (["Microsoft", "sagte", "gegenüber", "Amazon", "etwas", "."], ["B-ORG", "O", "O", "B-ORG", "O", "O"]),
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-ner")
    words = sorted({w for tokens, _ in SENTENCES for w in tokens})
    vocab = directory / "vocab.txt"
    vocab.write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n", encoding="utf-8"
    )
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(vocab), do_lower_case=False)
    config = transformers.BertConfig(
        vocab_size=len(words) + 5,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    model = transformers.BertForTokenClassification(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    batch = tokenizer([t for t, _ in SENTENCES], is_split_into_words=True, padding=True, return_tensors="pt")
    labels = torch.full(batch["input_ids"].shape, -100)
    for row, (_, tags) in enumerate(SENTENCES):
        for position, word in enumerate(batch.word_ids(row)):
            if word is not None:
                labels[row, position] = LABELS.index(tags[word])
    model.train()
    for _ in range(150):
        optimizer.zero_grad()
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_transformers_model_by_name_tags_people_and_organisations(tiny_model):
    analyzer = Analyzer(NlpSettings(de_model=f"hf:{tiny_model}"))
    text = "Moses sagte gegenüber Bloomberg etwas. Amazon verzögerte die Einführung."
    result = analyzer.analyze(text, language="de")
    found = {(e.text, e.label) for e in result.entities}
    assert ("Moses", "PER") in found
    assert ("Bloomberg", "ORG") in found
    assert ("Amazon", "ORG") in found
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text
    assert f"hf:{tiny_model}" in result.pipeline


def test_missing_transformers_model_is_a_clear_error(tmp_path):
    analyzer = Analyzer(NlpSettings(de_model=f"hf:{tmp_path / 'no-such-model'}"))
    with pytest.raises(ModelError, match="cannot be loaded"):
        analyzer.analyze("Moses sagte etwas.", language="de")
