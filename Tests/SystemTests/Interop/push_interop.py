"""Independent Web Push implementations from PyPI, run by WebPushInteropTests.

Usage: push_interop.py COMMAND JSON
Prints one JSON object on stdout; exits non-zero with the reason on stderr when a check fails.
Every byte string, in and out, is base64url without padding.

  decrypt       {"body", "ua_private", "auth"}             -> {"plaintext"}        http_ece, aes128gcm
  verify-jwt    {"token", "public_key", "audience"}        -> {"header", "claims"}  PyJWT, ES256
  vapid-public  {"private_key"}                            -> {"public_key"}       py_vapid
  vapid-sign    {"private_key", "audience", "subject"}     -> {"authorization"}    py_vapid

Needs: pip install http-ece pyjwt cryptography py-vapid
"""

import base64
import json
import sys

import http_ece
import jwt
import py_vapid
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64u_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def private_key(raw_b64u):
    return ec.derive_private_key(int.from_bytes(b64u_decode(raw_b64u), "big"), ec.SECP256R1())


def public_key(point_b64u):
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64u_decode(point_b64u))


def uncompressed(key):
    return b64u_encode(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def decrypt(args):
    plaintext = http_ece.decrypt(
        b64u_decode(args["body"]),
        private_key=private_key(args["ua_private"]),
        dh=None,
        auth_secret=b64u_decode(args["auth"]),
        version="aes128gcm",
    )
    return {"plaintext": b64u_encode(plaintext)}


def verify_jwt(args):
    token = args["token"]
    claims = jwt.decode(
        token,
        key=public_key(args["public_key"]),
        algorithms=["ES256"],
        audience=args["audience"],
        options={"require": ["aud", "exp", "sub"]},
    )
    return {"header": jwt.get_unverified_header(token), "claims": claims}


def vapid_public(args):
    from_raw = py_vapid.Vapid.from_raw(args["private_key"].encode())
    from_string = py_vapid.Vapid.from_string(args["private_key"])
    raw, string = uncompressed(from_raw.public_key), uncompressed(from_string.public_key)
    if raw != string:
        raise SystemExit(f"py_vapid from_raw and from_string disagree: {raw} != {string}")
    return {"public_key": raw}


def vapid_sign(args):
    vapid = py_vapid.Vapid.from_raw(args["private_key"].encode())
    headers = vapid.sign({"aud": args["audience"], "sub": args["subject"]})
    return {"authorization": headers["Authorization"]}


COMMANDS = {"decrypt": decrypt, "verify-jwt": verify_jwt, "vapid-public": vapid_public, "vapid-sign": vapid_sign}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        raise SystemExit(__doc__)
    print(json.dumps(COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))))
