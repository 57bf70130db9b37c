"""The dataset store: installing from a folder or mirrors, verifying, and reading it back.

The real files come from the read-only folder `$GRADER_SHARED_DATA` (default
`<repo>/../shared/data`, with mnist/ and fashion-mnist/ subfolders). Without it these tests
fail, on purpose: the grader can't be checked without its data.
"""

import functools
import gzip
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from grader import datasets
from grader.commands import data as data_command
from grader.config import DataSettings
from grader.datasets import (
    DATA_ENV,
    FASHION_MNIST,
    FILES,
    MNIST,
    data_home,
    fashion_mnist_dir,
    grading_split,
    install,
    load_mnist_arrays,
    mnist_npz_path,
)
from grader.errors import DatasetMissing, GraderError

REPO = Path(__file__).resolve().parents[2]
SHARED_ENV = "GRADER_SHARED_DATA"
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
FASHION_TRAIN_PER_CLASS = 6000
FASHION_TEST_PER_CLASS = 1000


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty store of this test's own."""
    home = tmp_path / "store"
    monkeypatch.setenv(DATA_ENV, str(home))
    return home


@pytest.fixture(scope="module")
def installed(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with both datasets installed from the shared folder, built once, not modified."""
    home = tmp_path_factory.mktemp("installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATA_ENV, str(home))
        for dataset in (MNIST, FASHION_MNIST):
            install(dataset, source=shared)
    return home


@pytest.fixture
def use_installed(installed: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this test at the shared installed store (read it, don't change it)."""
    monkeypatch.setenv(DATA_ENV, str(installed))
    return installed


def copy_store(installed: Path, destination: Path) -> Path:
    """A private copy of the installed store, to damage."""
    shutil.copytree(installed, destination)
    return destination


def copy_files(source: Path, destination: Path) -> Path:
    """Copy a folder's files' contents only: the shared originals are read-only, copies aren't."""
    destination.mkdir(parents=True)
    for file in source.iterdir():
        shutil.copyfile(file, destination / file.name)
    return destination


def mirror_of(shared: Path, tmp_path: Path, dataset: str) -> Path:
    """A temp copy of a dataset's .gz files, to serve or to damage."""
    return copy_files(shared / dataset, tmp_path / "source" / dataset)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A quiet HTTP server on 127.0.0.1 serving a temp folder: (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending the local test server's requests through a proxy."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def nothing_installed(home: Path, dataset: str) -> bool:
    """True when the store has no trace of the dataset besides (maybe) an empty folder."""
    folder = home / dataset
    return not folder.exists() or not any(folder.iterdir())


# ---------------------------------------------------------------------------- store location


def test_data_home_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Does GRADER_DATA choose the store, with a per-user folder otherwise?"""
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_home() == tmp_path
    monkeypatch.delenv(DATA_ENV)
    assert "perceptron-grader" in str(data_home())


# ---------------------------------------------------------------------------- installing


def test_install_from_shared_folder(use_installed: Path) -> None:
    """Does installing from the shared folder give the documented store layout?"""
    assert mnist_npz_path() == use_installed / "mnist" / "mnist.npz"
    manifest = json.loads((use_installed / "mnist" / "manifest.json").read_text())
    assert manifest["files"]["mnist.npz"] == datasets._sha256(mnist_npz_path())
    assert manifest["source"].endswith("mnist")
    fashion = fashion_mnist_dir()
    assert fashion == use_installed / "fashion-mnist"
    for f in FILES[FASHION_MNIST]:
        assert (fashion / f.gz_name).is_file()


def test_fashion_files_are_stored_unchanged(use_installed: Path, shared: Path) -> None:
    """Are Fashion-MNIST's .gz files the original bytes, as keras expects them?"""
    for f in FILES[FASHION_MNIST]:
        stored = (use_installed / "fashion-mnist" / f.gz_name).read_bytes()
        assert stored == (shared / "fashion-mnist" / f.gz_name).read_bytes()


def test_mnist_arrays_and_label_counts(use_installed: Path) -> None:
    """Does the npz hold MNIST with the published shapes and label counts?"""
    (x_train, y_train), (x_test, y_test) = load_mnist_arrays()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_test).tolist() == MNIST_TEST_COUNTS
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    with np.load(mnist_npz_path(), allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["x_test", "x_train", "y_test", "y_train"]


def test_loaded_arrays_are_cached_and_read_only(use_installed: Path) -> None:
    """Is MNIST read once per process, and protected from callers that change arrays?"""
    first = load_mnist_arrays()
    assert load_mnist_arrays() is first
    with pytest.raises(ValueError):
        first[0][0][0, 0, 0] = 1


def test_grading_split_trains_on_the_first_images_and_validates_on_the_next() -> None:
    images = np.arange(60000 * 4).reshape(60000, 2, 2)
    labels = np.arange(60000) % 10
    arrays = ((images, labels), (images[:10], labels[:10]))
    x_train, y_train, x_val, y_val = grading_split(arrays, DataSettings(train_size=50000))
    assert len(x_train) == len(y_train) == 50000 and len(x_val) == len(y_val) == 10000
    assert np.array_equal(x_val, images[50000:]) and np.array_equal(y_train, labels[:50000])
    x_train, y_train, x_val, y_val = grading_split(
        arrays, DataSettings(train_size=20000, validation_size=5000)
    )
    assert np.array_equal(x_train, images[:20000]) and np.array_equal(y_val, labels[20000:25000])
    assert np.array_equal(x_val, images[20000:25000])
    x_val[0] = 0  # copies: a student's function that writes into them changes nothing
    assert images[20000].tolist() == [[80000, 80001], [80002, 80003]]


def test_a_split_needing_more_images_than_there_are_is_refused() -> None:
    DataSettings(train_size=50000, validation_size=10000)
    with pytest.raises(ValidationError, match="more than the 60000 training images"):
        DataSettings(train_size=50000, validation_size=10001)


def test_reinstall_is_a_quick_no_op(installed: Path, tmp_path: Path, monkeypatch) -> None:
    """Does installing again report "already installed" without rewriting anything?"""
    home = copy_store(installed, tmp_path / "store")
    monkeypatch.setenv(DATA_ENV, str(home))
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*")}
    for dataset in (MNIST, FASHION_MNIST):
        result = install(dataset, source=tmp_path / "no-such-folder")
        assert result.already_installed
    assert {p: p.stat().st_mtime_ns for p in home.rglob("*")} == before


def test_install_accepts_uncompressed_files(shared: Path, tmp_path: Path, store: Path) -> None:
    """Are uncompressed idx files accepted too (here the labels), stored as .gz keras reads?"""
    source = mirror_of(shared, tmp_path, FASHION_MNIST)
    for f in FILES[FASHION_MNIST]:
        if "labels" in f.name:
            gz = source / f.gz_name
            (source / f.name).write_bytes(gzip.decompress(gz.read_bytes()))
            gz.unlink()
    result = install(FASHION_MNIST, source=source)
    assert not result.already_installed and result.source == str(source.resolve())
    labels = gzip.decompress((fashion_mnist_dir() / "train-labels-idx1-ubyte.gz").read_bytes())
    counts = np.bincount(datasets.parse_idx(labels))
    assert counts.tolist() == [FASHION_TRAIN_PER_CLASS] * 10


def test_truncated_file_is_refused_by_name(shared: Path, tmp_path: Path, store: Path) -> None:
    """Does a truncated file get refused with its name, leaving nothing installed?"""
    source = mirror_of(shared, tmp_path, MNIST)
    damaged = source / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    with pytest.raises(GraderError, match=re.escape("t10k-labels-idx1-ubyte.gz")) as caught:
        install(MNIST, source=source.parent)
    assert "\n" not in str(caught.value)
    assert nothing_installed(store, MNIST)


def test_corrupted_file_is_refused_with_md5s(shared: Path, tmp_path: Path, store: Path) -> None:
    """Does a file with changed content get refused, naming it and both MD5s?"""
    source = mirror_of(shared, tmp_path, MNIST)
    damaged = source / "train-labels-idx1-ubyte.gz"
    labels = bytearray(gzip.decompress(damaged.read_bytes()))
    labels[-1] = (labels[-1] + 1) % 10
    damaged.write_bytes(gzip.compress(bytes(labels)))
    with pytest.raises(GraderError) as caught:
        install(MNIST, source=source)
    message = str(caught.value)
    assert "train-labels-idx1-ubyte.gz" in message
    assert "a25bea736e30d166cdddb491f175f624" in message  # expected
    assert "grader data" in message
    assert nothing_installed(store, MNIST)


def test_wrong_dataset_is_named(shared: Path, store: Path) -> None:
    """Does giving MNIST's files for Fashion-MNIST say which dataset they belong to?"""
    with pytest.raises(GraderError, match=r"MNIST's train-images-idx3-ubyte, not Fashion"):
        install(FASHION_MNIST, source=shared / MNIST)
    assert nothing_installed(store, FASHION_MNIST)


def test_missing_source_folder_and_file(shared: Path, tmp_path: Path, store: Path) -> None:
    """Do a missing folder and a missing file each get a one-line message naming them?"""
    with pytest.raises(GraderError, match=r"No folder .*nowhere"):
        install(MNIST, source=tmp_path / "nowhere")
    source = mirror_of(shared, tmp_path, MNIST)
    (source / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(GraderError, match=re.escape("no t10k-images-idx3-ubyte.gz")):
        install(MNIST, source=source)
    assert nothing_installed(store, MNIST)


def test_unknown_dataset(store: Path) -> None:
    """Is an unknown dataset name refused with the choices?"""
    with pytest.raises(GraderError, match="mnist, fashion-mnist"):
        install("cifar10")


# ---------------------------------------------------------------------------- reading


def test_missing_store_says_how_to_install(store: Path) -> None:
    """Does an empty store raise DatasetMissing telling to run `grader data`?"""
    for read in (load_mnist_arrays, mnist_npz_path, fashion_mnist_dir):
        with pytest.raises(DatasetMissing) as caught:
            read()
        message = str(caught.value)
        assert "run `grader data` (online) or `grader data --from DIR` (offline)" in message


def test_corrupt_npz_is_caught_by_manifest(
    installed: Path, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Is a changed mnist.npz refused via the manifest, and repaired by installing again?"""
    home = copy_store(installed, tmp_path / "store")
    monkeypatch.setenv(DATA_ENV, str(home))
    npz = home / "mnist" / "mnist.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(DatasetMissing, match=r"sha256 check.*`grader data`"):
        load_mnist_arrays()
    with pytest.raises(DatasetMissing):
        mnist_npz_path()
    assert not install(MNIST, source=shared).already_installed
    assert np.bincount(load_mnist_arrays()[1][1]).tolist() == MNIST_TEST_COUNTS


def test_store_without_manifest_is_not_trusted(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Is a store whose manifest is missing (an interrupted install) treated as missing?"""
    home = copy_store(installed, tmp_path / "store")
    monkeypatch.setenv(DATA_ENV, str(home))
    (home / "fashion-mnist" / "manifest.json").unlink()
    with pytest.raises(DatasetMissing, match="Fashion-MNIST is not installed"):
        fashion_mnist_dir()


def test_parse_idx_rejects_bad_headers() -> None:
    """Does the idx reader refuse a wrong magic number or a size that disagrees with its dims?"""
    good = b"\0\0\x08\x01" + (3).to_bytes(4, "big") + b"abc"
    assert datasets.parse_idx(good).tolist() == [97, 98, 99]
    with pytest.raises(ValueError):
        datasets.parse_idx(b"\0\0\x0d\x01" + good[4:])
    with pytest.raises(ValueError):
        datasets.parse_idx(good[:-1])


# ---------------------------------------------------------------------------- downloading


def test_download_falls_back_across_mirrors(
    shared: Path, store: Path, http_root: tuple[str, Path]
) -> None:
    """Does a download skip a refusing mirror and a 404 mirror, then install from a good one?"""
    base, root = http_root
    copy_files(shared / FASHION_MNIST, root / "good")
    (root / "empty").mkdir()
    refusing = f"http://127.0.0.1:{free_port()}/"
    mirrors = [refusing, base + "empty/", base + "good"]
    result = install(FASHION_MNIST, mirrors=mirrors)
    assert result.source == base + "good"
    assert not result.already_installed
    assert fashion_mnist_dir() == store / FASHION_MNIST


def test_download_of_a_bad_copy_tries_the_next_mirror(
    shared: Path, store: Path, http_root: tuple[str, Path]
) -> None:
    """Is a mirror serving a corrupt file passed over for one serving the original?"""
    base, root = http_root
    copy_files(shared / FASHION_MNIST, root / "bad")
    copy_files(shared / FASHION_MNIST, root / "good")
    (root / "bad" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"not labels"))
    result = install(FASHION_MNIST, mirrors=[base + "bad/", base + "good/"])
    assert result.source == f"{base}bad/, {base}good/"
    fashion_mnist_dir()


def test_download_failure_lists_mirrors(store: Path, http_root: tuple[str, Path]) -> None:
    """When every mirror fails, does the one-line message list each mirror and what to do?"""
    base, _ = http_root
    refusing = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(GraderError) as caught:
        install(MNIST, mirrors=[refusing, base])
    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert refusing in message and base in message and "404" in message
    assert "--from DIR" in message and "\n" not in message
    assert nothing_installed(store, MNIST)


# ---------------------------------------------------------------------------- the command


def test_data_command_reports_each_dataset(
    installed: Path, shared: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Does `grader data` print one line per dataset saying what it did and where?"""
    home = copy_store(installed, tmp_path / "store")
    monkeypatch.setenv(DATA_ENV, str(home))
    shutil.rmtree(home / FASHION_MNIST)
    data_command.main(source=shared, mirrors=[], datasets=[MNIST, FASHION_MNIST])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"MNIST: already installed at {home / 'mnist' / 'mnist.npz'}"
    assert lines[1].startswith(f"Fashion-MNIST: installed from {shared.resolve() / FASHION_MNIST}")
    assert lines[1].endswith(str(home / FASHION_MNIST)) and len(lines) == 3
    assert lines[2].startswith("keras.datasets.mnist.load_data() now reads the verified copy")


# ---------------------------------------------------------------------------- keras


KERAS_SCRIPT = """
import numpy as np
import keras
(x, y), (xt, yt) = keras.datasets.fashion_mnist.load_data()
print(x.shape, xt.shape, np.bincount(y).tolist(), np.bincount(yt).tolist())
"""


@pytest.mark.slow  # imports Keras in a subprocess: 14 s
def test_keras_reads_our_fashion_folder_offline(use_installed: Path, tmp_path: Path) -> None:
    """Does keras' fashion_mnist.load_data() read our folder, offline, via KERAS_HOME?"""
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    target = keras_home / "datasets" / "fashion-mnist"
    target.symlink_to(fashion_mnist_dir(), target_is_directory=True)
    unreachable = f"http://127.0.0.1:{free_port()}"  # any download attempt fails at once
    env = {
        **os.environ,
        "KERAS_HOME": str(keras_home),
        "HTTP_PROXY": unreachable,
        "HTTPS_PROXY": unreachable,
        "http_proxy": unreachable,
        "https_proxy": unreachable,
        "no_proxy": "",
        "NO_PROXY": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", KERAS_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    train_counts, test_counts = [FASHION_TRAIN_PER_CLASS] * 10, [FASHION_TEST_PER_CLASS] * 10
    assert done.stdout.strip().splitlines()[-1] == (
        f"(60000, 28, 28) (10000, 28, 28) {train_counts} {test_counts}"
    )
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [f.gz_name for f in FILES[FASHION_MNIST]] + ["manifest.json"]
    )
