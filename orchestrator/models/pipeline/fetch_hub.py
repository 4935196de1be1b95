"""Downloads a model from the Hugging Face hub (or finds it in the local hub cache when offline).

Prints `path=<snapshot folder>` on success. On failure prints one `reason=<kind>: <detail>` line
and exits with a code the orchestrator turns into advice: 3 offline or unreachable, 4 gated or
unauthorised (HF_TOKEN), 5 no such repository, 1 anything else. The token comes from HF_TOKEN.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OFFLINE = 3
EXIT_UNAUTHORISED = 4
EXIT_NOT_FOUND = 5

# Only what a sentence-transformers model needs; skips other frameworks' copies of the weights.
ALLOW = [
    "*.json",
    "*.safetensors",
    "*.txt",
    "*.model",
    "tokenizer*",
    "1_Pooling/*",
    "2_*/*",
    "3_*/*",
    "4_*/*",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repo-id", required=True)
    ap.add_argument("--revision", default=None)
    a = ap.parse_args()

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    token = os.environ.get("HF_TOKEN") or None
    try:
        path = snapshot_download(a.repo_id, revision=a.revision, token=token, allow_patterns=ALLOW)
    except GatedRepoError as err:
        print(f"reason=gated: {str(err).splitlines()[0]}", flush=True)
        return EXIT_UNAUTHORISED
    except RepositoryNotFoundError as err:
        # The hub answers 401 for both a private/gated repository without a token and a missing one.
        detail = str(err).splitlines()[0]
        if token is None or "401" in detail:
            print(f"reason=unauthorised-or-missing: {detail}", flush=True)
            return EXIT_UNAUTHORISED
        print(f"reason=not-found: {detail}", flush=True)
        return EXIT_NOT_FOUND
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as err:
        print(f"reason=offline: {str(err).splitlines()[0]}", flush=True)
        return EXIT_OFFLINE
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else None
        code = EXIT_UNAUTHORISED if status in (401, 403) else 1
        print(f"reason=http-{status}: {str(err).splitlines()[0]}", flush=True)
        return code
    except OSError as err:
        print(f"reason=offline: {err}", flush=True)
        return EXIT_OFFLINE
    print(f"path={path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
