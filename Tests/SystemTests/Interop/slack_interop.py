"""Slack's own Python SDK (slack_sdk) checking our request signatures (SlackSignatureInteropTests) and making the
reaction calls ours are compared with (SlackReactionInteropTests).

Usage: slack_interop.py COMMAND JSON
Prints one JSON object on stdout; exits non-zero with the reason on stderr when something fails.
Bodies are base64url without padding (exact bytes).

  sign     {"secret", "timestamp", "body"}                      -> {"signature"}   SignatureVerifier.generate_signature
  verify   {"secret", "timestamp"?, "body", "signature"?, "now"} -> {"valid"}     SignatureVerifier.is_valid at time "now"
  react    {"base_url", "token", "channel", "timestamp", "name"}  -> {"ok"}        WebClient.reactions_add, then reactions_remove

Needs: pip install slack-sdk
"""

import base64
import json
import sys

from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FixedClock(Clock):
    def __init__(self, now):
        self._now = float(now)

    def now(self):
        return self._now


def sign(args):
    verifier = SignatureVerifier(signing_secret=args["secret"])
    return {"signature": verifier.generate_signature(timestamp=args["timestamp"], body=b64u_decode(args["body"]))}


def verify(args):
    verifier = SignatureVerifier(signing_secret=args["secret"], clock=FixedClock(args["now"]))
    return {"valid": verifier.is_valid(body=b64u_decode(args["body"]), timestamp=args.get("timestamp"), signature=args.get("signature"))}


def react(args):
    client = WebClient(token=args["token"], base_url=args["base_url"])
    fields = {"channel": args["channel"], "timestamp": args["timestamp"], "name": args["name"]}
    added = client.reactions_add(**fields)
    removed = client.reactions_remove(**fields)
    return {"ok": bool(added["ok"] and removed["ok"])}


COMMANDS = {"sign": sign, "verify": verify, "react": react}

if __name__ == "__main__":
    command, argument = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(COMMANDS[command](argument)))
