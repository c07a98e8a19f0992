from hkgraph.records.checks import check_dataset


def test_real_data_validates(dataset):
    errors = [str(p) for p in check_dataset(dataset) if p.severity == "error"]
    assert errors == []


def test_build_writes_every_file(built_dist):
    names = sorted(p.name for p in built_dist.iterdir())
    assert names == ["build-info.json", "hkgraph.db", "hkgraph.jsonld", "hkgraph.nt", "hkgraph.ttl", "oxigraph"]
