"""AES-256-GCM from the `cryptography` package (OpenSSL-independent API, PyPI), run by AESGCMInteropTests.

Usage: aesgcm_interop.py COMMAND JSON
Prints one JSON object on stdout; exits non-zero with the reason on stderr when a check fails.
Every byte string, in and out, is base64url without padding. `sealed` is nonce (12 bytes) || ciphertext || tag,
the layout of msgrelay's stored Slack token.

  seal   {"key", "plaintext", "aad"}   -> {"sealed"}      a fresh random nonce
  open   {"key", "sealed", "aad"}      -> {"plaintext"}   or {"refused": true} when the tag does not verify

Needs: pip install cryptography
"""

import base64
import json
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64u_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def main():
    command, arguments = sys.argv[1], json.loads(sys.argv[2])
    key = b64u_decode(arguments["key"])
    aad = b64u_decode(arguments["aad"])
    if len(key) != 32:
        sys.exit("the key must be 32 bytes")
    if command == "seal":
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key).encrypt(nonce, b64u_decode(arguments["plaintext"]), aad)
        print(json.dumps({"sealed": b64u_encode(sealed)}))
    elif command == "open":
        sealed = b64u_decode(arguments["sealed"])
        try:
            plaintext = AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)
        except InvalidTag:
            print(json.dumps({"refused": True}))
            return
        print(json.dumps({"plaintext": b64u_encode(plaintext)}))
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
