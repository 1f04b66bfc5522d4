"""Key file cost: how long writing and opening one key file takes, and its memory, per KDF.

For each set of parameters — offerledger's (scrypt n = 2^17, r = 8, p = 1), the test suite's
and demo's (n = 2^10) and the PBKDF2-SHA256 at 2,048 iterations of pyca's
``BestAvailableEncryption`` that key files used before — it writes one key file and opens it
``--repeat`` times (the median is reported), each open in the same process through
``load_key_file`` (pyca decrypts). Peak memory is the process's maximum resident set after the
runs (scrypt needs 128·n·r bytes: 128 MiB at offerledger's parameters). The last line printed is
one JSON object.

    .venv/bin/python benchmarks/bench_keyfile.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from offerledger.signing.keyfile import KDF, TEST_KDF, TEST_KDF_ENV, KdfParams
from offerledger.signing.keys import (
    WeakKeyFileWarning,
    generate_signing_key,
    load_key_file,
    write_key_file,
)

PASS = b"a passphrase of some length"


def _time(action: object, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop(TEST_KDF_ENV, None)
    folder = Path(tempfile.mkdtemp())
    key = generate_signing_key()
    results: dict[str, dict[str, float]] = {}
    cases: list[tuple[str, KdfParams | None]] = [("scrypt-2^17", KDF), ("scrypt-2^10", TEST_KDF)]
    for name, kdf in [*cases, ("pbkdf2-2048", None)]:
        path = folder / f"{name}.pem"
        started = time.perf_counter()
        if kdf is None:
            pem = key.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(PASS),
            )
            path.write_bytes(pem)
            path.chmod(0o600)
        else:
            write_key_file(path=path, key=key, passphrase=PASS, kdf=kdf)
        written = time.perf_counter() - started
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WeakKeyFileWarning)
            opened = _time(lambda p=path: load_key_file(path=p, passphrase=PASS), args.repeat)
        results[name] = {"write_s": round(written, 4), "open_s": round(opened, 4)}
        print(f"{name:12} write {written:7.3f} s   open {opened:7.3f} s (median of {args.repeat})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB; cores {os.cpu_count()}")
    print(json.dumps({"results": results, "peak_rss_mib": round(peak), "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
