"""Where the grader keeps MNIST and Fashion-MNIST, how they get there, and how they are read.

The store lives in `data_home()`:

    mnist/mnist.npz            x_train, y_train, x_test, y_test (the keys keras' mnist.npz uses)
    mnist/manifest.json        sha256 of mnist.npz and where the data came from
    fashion-mnist/*.gz         the four original files, unchanged (what keras' fashion_mnist reads
    fashion-mnist/manifest.json  from $KERAS_HOME/datasets/fashion-mnist/), and their sha256

Every source file is checked against the MD5 of its *uncompressed* content, the one published
hash (the .gz bytes are recompressed by each mirror and carry none), before anything is
written. The manifest is written last, so a store is trusted only when it was written whole;
later reads check the sha256 the manifest recorded, which is fast.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import io
import json
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import platformdirs

from grader.errors import DatasetMissing, GraderError
from grader.files import write_whole

if TYPE_CHECKING:
    from grader.config import DataSettings

DATA_ENV = "GRADER_DATA"
APP_NAME = "perceptron-grader"

MNIST = "mnist"
FASHION_MNIST = "fashion-mnist"
DATASETS = (MNIST, FASHION_MNIST)
TITLES = {MNIST: "MNIST", FASHION_MNIST: "Fashion-MNIST"}

NPZ_NAME = "mnist.npz"
MANIFEST_NAME = "manifest.json"
GZ_SUFFIX = ".gz"
DOWNLOAD_TIMEOUT_SECONDS = 60.0
STORE_FILE_MODE = 0o644

INSTALL_ADVICE = "run `grader data` (online) or `grader data --from DIR` (offline)"

IDX_UINT8 = 0x08  # the idx type code for unsigned bytes, the only one MNIST uses


@dataclass(frozen=True)
class IdxFile:
    """One of a dataset's four idx files: its name, published MD5 and key in mnist.npz."""

    name: str
    md5: str
    key: str

    @property
    def gz_name(self) -> str:
        return self.name + GZ_SUFFIX


FILES: dict[str, tuple[IdxFile, ...]] = {
    MNIST: (
        IdxFile("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb", "x_train"),
        IdxFile("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624", "y_train"),
        IdxFile("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea", "x_test"),
        IdxFile("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637", "y_test"),
    ),
    FASHION_MNIST: (
        IdxFile("train-images-idx3-ubyte", "f4a8712d7a061bf5bd6d2ca38dc4d50a", "x_train"),
        IdxFile("train-labels-idx1-ubyte", "9018921c3c673c538a1fc5bad174d6f9", "y_train"),
        IdxFile("t10k-images-idx3-ubyte", "8181f5470baa50b63fa0f6fddb340f0a", "x_test"),
        IdxFile("t10k-labels-idx1-ubyte", "15d484375f8d13e6eb1aabb0c3f46965", "y_test"),
    ),
}

DEFAULT_MIRRORS: dict[str, tuple[str, ...]] = {
    MNIST: (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    FASHION_MNIST: (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}

# MD5 -> (dataset, file), to tell someone who mixed up the two datasets which file they gave.
KNOWN_MD5 = {f.md5: (dataset, f.name) for dataset, files in FILES.items() for f in files}


@dataclass(frozen=True)
class InstallResult:
    """What `install` did: where the dataset now is, where it came from, whether it was there."""

    dataset: str
    location: Path
    source: str
    already_installed: bool


@dataclass(frozen=True)
class _Verified:
    """A source file that passed its MD5: the bytes as given and their uncompressed content."""

    file: IdxFile
    raw: bytes
    content: bytes
    gzipped: bool


# ---------------------------------------------------------------------------- store locations


def data_home() -> Path:
    """The store's root: `$GRADER_DATA` when set (tests, CI, shared machines), else per user."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def dataset_dir(dataset: str) -> Path:
    """The folder holding one dataset inside the store."""
    return data_home() / _known(dataset)


def _known(dataset: str) -> str:
    """The dataset name, if it is one we know (else a GraderError listing the choices)."""
    if dataset not in DATASETS:
        raise GraderError(f"Unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}.")
    return dataset


def _store_files(dataset: str) -> tuple[str, ...]:
    """The names the manifest must vouch for: the npz for MNIST, the four .gz for Fashion."""
    if dataset == MNIST:
        return (NPZ_NAME,)
    return tuple(f.gz_name for f in FILES[dataset])


# ---------------------------------------------------------------------------- verification


def _sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _store_problem(dataset: str) -> str | None:
    """Why the installed dataset can't be trusted, or None when the manifest vouches for it."""
    folder = dataset_dir(dataset)
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        return f"{TITLES[dataset]} is not installed (no {manifest_path})"
    try:
        recorded = json.loads(manifest_path.read_text())["files"]
        for name in _store_files(dataset):
            if _sha256(folder / name) != recorded[name]:
                return f"{folder / name} failed its sha256 check (corrupt or changed)"
    except FileNotFoundError as error:
        return f"{TITLES[dataset]} is incomplete (no {error.filename})"
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"{TITLES[dataset]} store at {folder} is unreadable ({error})"
    return None


def _verified_dir(dataset: str) -> Path:
    """The dataset's folder after its manifest check; DatasetMissing with the advice otherwise."""
    problem = _store_problem(dataset)
    if problem is not None:
        raise DatasetMissing(f"{problem}; {INSTALL_ADVICE}.")
    return dataset_dir(dataset)


def mnist_npz_path() -> Path:
    """The verified mnist.npz (keys x_train, y_train, x_test, y_test), else DatasetMissing."""
    return _verified_dir(MNIST) / NPZ_NAME


def fashion_mnist_dir() -> Path:
    """The verified folder of Fashion-MNIST's four .gz files, else DatasetMissing.

    Point `$KERAS_HOME/datasets/fashion-mnist` at it (copy or symlink) and
    `keras.datasets.fashion_mnist.load_data()` reads it without going online.
    """
    return _verified_dir(FASHION_MNIST)


# ---------------------------------------------------------------------------- reading MNIST


def load_mnist_arrays() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)) from the store, as read-only uint8 arrays.

    Read once per process (the arrays are shared, hence read-only): the cache is keyed on the
    file's path, size and modification time, so a reinstall or another store is read afresh.
    """
    npz = dataset_dir(MNIST) / NPZ_NAME
    try:
        stat = npz.stat()
    except OSError:
        raise DatasetMissing(f"MNIST is not installed (no {npz}); {INSTALL_ADVICE}.") from None
    return _read_mnist(npz, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_mnist(
    npz: Path, size: int, mtime_ns: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Check the npz against its manifest, then load it (size and mtime only key the cache)."""
    mnist_npz_path()
    try:
        with np.load(npz, allow_pickle=False) as arrays:
            loaded = {f.key: arrays[f.key] for f in FILES[MNIST]}
    except (OSError, ValueError, KeyError) as error:
        raise DatasetMissing(f"{npz} is unreadable ({error}); {INSTALL_ADVICE}.") from None
    for array in loaded.values():
        array.flags.writeable = False
    return (loaded["x_train"], loaded["y_train"]), (loaded["x_test"], loaded["y_test"])


def load_fashion_arrays() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)) of Fashion-MNIST from the store, read-only."""
    return _read_fashion(fashion_mnist_dir())


@functools.lru_cache(maxsize=1)
def _read_fashion(
    folder: Path,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    loaded = {}
    for file in FILES[FASHION_MNIST]:
        with gzip.open(folder / file.gz_name, "rb") as stream:
            array = parse_idx(stream.read())
        array.flags.writeable = False
        loaded[file.key] = array
    return (loaded["x_train"], loaded["y_train"]), (loaded["x_test"], loaded["y_test"])


# ---------------------------------------------------------------------------- splitting for grading

KerasArrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def grading_split(
    arrays: KerasArrays, data: DataSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): a dataset's first `data.train_size` training images,
    then the next `data.validation_size` (absent: the rest) to validate on.
    Copies: a student's function that changes its input must not change the grader's data."""
    (images, labels), _ = arrays
    train = slice(0, data.train_size)
    end = None if data.validation_size is None else data.train_size + data.validation_size
    validation = slice(data.train_size, end)
    return (
        images[train].copy(),
        labels[train].copy(),
        images[validation].copy(),
        labels[validation].copy(),
    )


def heldout_copy(arrays: KerasArrays) -> tuple[np.ndarray, np.ndarray]:
    """A copy of the dataset's test images and labels: what grading judges on."""
    _, (images, labels) = arrays
    return images.copy(), labels.copy()


def sandbox_view(arrays: KerasArrays) -> dict[str, np.ndarray]:
    """What keras' loader for the dataset returns inside the sandbox: its training arrays, and
    for the test split a stand-in of the same size drawn from them, never the test images."""
    (images, labels), (test_images, _) = arrays
    stand_in = slice(len(images) - len(test_images), len(images))
    return {
        "x_train": images,
        "y_train": labels,
        "x_test": images[stand_in],
        "y_test": labels[stand_in],
    }


def parse_idx(content: bytes) -> np.ndarray:
    """An idx file's array: 2 zero bytes, type code, rank, big-endian uint32 dims, then data."""
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] != IDX_UINT8:
        raise ValueError("not an idx file of unsigned bytes")
    rank = content[3]
    header_size = 4 + 4 * rank
    shape = tuple(int(d) for d in np.frombuffer(content, ">u4", count=rank, offset=4))
    data = np.frombuffer(content, np.uint8, offset=header_size)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"idx header says {shape} but holds {data.size} bytes")
    return data.reshape(shape)


# ---------------------------------------------------------------------------- sources


def _verify(file: IdxFile, raw: bytes, gzipped: bool, origin: str, dataset: str) -> _Verified:
    """Decompress if needed and check the MD5 of the content; GraderError saying what's wrong.

    The message says what is wrong with the file; callers add what to do about it.
    """
    shown = file.gz_name if gzipped else file.name
    try:
        content = gzip.decompress(raw) if gzipped else raw
    except (OSError, EOFError, zlib.error) as error:
        raise GraderError(
            f"{shown} from {origin} is not a valid gzip file ({error}): truncated or corrupt"
        ) from None
    got = hashlib.md5(content).hexdigest()
    if got != file.md5:
        raise GraderError(
            f"{shown} from {origin} failed its checksum: expected MD5 {file.md5} of the "
            f"uncompressed content, got {got}{_mixup_hint(got, dataset)}"
        )
    return _Verified(file, raw, content, gzipped)


def _mixup_hint(md5: str, dataset: str) -> str:
    """When an MD5 belongs to another dataset's file, say so: the file names are the same."""
    if md5 not in KNOWN_MD5:
        return ""
    other, name = KNOWN_MD5[md5]
    if other == dataset:
        return f" (that is {TITLES[other]}'s {name}: files swapped?)"
    return f" (that is {TITLES[other]}'s {name}, not {TITLES[dataset]}'s)"


def _source_folder(dataset: str, source: Path) -> Path:
    """The folder holding the files: `source/<dataset>` when it exists, else `source` itself."""
    if not source.is_dir():
        raise GraderError(f"No folder {source} to install {TITLES[dataset]} from.")
    nested = source / dataset
    return nested if nested.is_dir() else source


def _read_folder(dataset: str, source: Path) -> tuple[list[_Verified], str]:
    """The four files from a folder (each .gz or uncompressed), verified, and the folder."""
    folder = _source_folder(dataset, source).resolve()
    verified = []
    for file in FILES[dataset]:
        for name, gzipped in ((file.gz_name, True), (file.name, False)):
            if (folder / name).is_file():
                verified.append(_verify_copy(file, folder / name, gzipped, dataset))
                break
        else:
            raise GraderError(
                f"{folder} has no {file.gz_name} (nor {file.name}): put the four "
                f"{TITLES[dataset]} files there (or in a '{dataset}' subfolder), "
                f"or run `grader data` to download them."
            )
    return verified, str(folder)


def _verify_copy(file: IdxFile, path: Path, gzipped: bool, dataset: str) -> _Verified:
    """A local file, verified; a bad one is a one-line GraderError ending with what to do."""
    try:
        return _verify(file, _read_bytes(path), gzipped, str(path.parent), dataset)
    except GraderError as error:
        raise GraderError(
            f"{error}. Copy the original {TITLES[dataset]} file there, or {INSTALL_ADVICE}."
        ) from None


def _read_bytes(path: Path) -> bytes:
    """A source file's bytes; an unreadable file is a GraderError naming it."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise GraderError(f"Cannot read {path}: {error.strerror or error}.") from None


def _download(dataset: str, mirrors: Sequence[str]) -> tuple[list[_Verified], str]:
    """The four .gz files, each from the first mirror that serves a verified copy."""
    verified, used = [], []
    for file in FILES[dataset]:
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + file.gz_name
            try:
                raw = _fetch(url)
                verified.append(_verify(file, raw, True, url, dataset))
            except GraderError as error:  # a bad copy on one mirror: try the next
                failures.append(f"{mirror}: {error}")
                continue
            used.append(mirror)
            break
        else:
            raise GraderError(
                f"Could not download {file.gz_name} for {TITLES[dataset]} from any mirror "
                f"({'; '.join(failures) or 'no mirrors given'}). Check the connection, give "
                f"another --mirror URL, or copy the files and use `grader data --from DIR`."
            )
    return verified, ", ".join(dict.fromkeys(used))


def _fetch(url: str) -> bytes:
    """The body at a URL; any network problem becomes a short GraderError."""
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        raise GraderError(f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise GraderError(str(error.reason)) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise GraderError(str(error) or type(error).__name__) from None


# ---------------------------------------------------------------------------- writing the store


def _write_atomically(path: Path, data: bytes) -> None:
    """The file is old or new, whole, and on disk before it is in place (others may read it)."""
    write_whole(path, data, mode=STORE_FILE_MODE, durable=True)


def _npz_bytes(verified: list[_Verified]) -> bytes:
    """mnist.npz's bytes, with the same keys as keras' own file."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{v.file.key: parse_idx(v.content) for v in verified})
    return buffer.getvalue()


def _store_contents(dataset: str, verified: list[_Verified]) -> dict[str, bytes]:
    """File name -> bytes to store: the npz for MNIST; for Fashion the .gz files as given."""
    if dataset == MNIST:
        return {NPZ_NAME: _npz_bytes(verified)}
    return {v.file.gz_name: v.raw if v.gzipped else _gzip(v.content) for v in verified}


def _gzip(content: bytes) -> bytes:
    """Gzip at zlib's default level (level 9 is ten times slower for 1% less), reproducibly."""
    return gzip.compress(content, compresslevel=zlib.Z_DEFAULT_COMPRESSION, mtime=0)


def _write_store(dataset: str, contents: dict[str, bytes], source: str) -> Path:
    """Drop the manifest, replace each file atomically, then write the manifest last."""
    folder = dataset_dir(dataset)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST_NAME).unlink(missing_ok=True)
        for name, data in contents.items():
            _write_atomically(folder / name, data)
        manifest = {
            "dataset": dataset,
            "source": source,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()},
            "idx_md5": {f.name: f.md5 for f in FILES[dataset]},
        }
        _write_atomically(folder / MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
    except OSError as error:
        raise GraderError(
            f"Cannot write {TITLES[dataset]} to {folder}: {error.strerror or error}. "
            f"Set {DATA_ENV} to a writable folder."
        ) from None
    return folder


def install(
    dataset: str, source: Path | None = None, mirrors: Sequence[str] | None = None
) -> InstallResult:
    """Install a dataset from a folder (`source`) or the mirrors, verifying every file first.

    Does nothing when the store already holds a verified copy. Mirrors are tried in order for
    each file; none given means the dataset's default mirrors.
    """
    _known(dataset)
    if _store_problem(dataset) is None:
        return InstallResult(dataset, _installed_location(dataset), _recorded_source(dataset), True)
    if source is not None:
        verified, origin = _read_folder(dataset, Path(source).expanduser())
    else:
        verified, origin = _download(dataset, mirrors or DEFAULT_MIRRORS[dataset])
    _write_store(dataset, _store_contents(dataset, verified), origin)
    return InstallResult(dataset, _installed_location(dataset), origin, False)


def _installed_location(dataset: str) -> Path:
    """What users point things at: the npz for MNIST, the folder for Fashion-MNIST."""
    folder = dataset_dir(dataset)
    return folder / NPZ_NAME if dataset == MNIST else folder


def _recorded_source(dataset: str) -> str:
    """Where the installed copy came from, as its manifest says."""
    manifest = json.loads((dataset_dir(dataset) / MANIFEST_NAME).read_text())
    return str(manifest.get("source", "unknown"))
