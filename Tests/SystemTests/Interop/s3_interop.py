"""botocore's S3 presigner and a boto3 client, run by S3PresignInteropTests and S3StoreTests.

Usage: s3_interop.py COMMAND JSON
Prints one JSON object on stdout; exits non-zero with the reason on stderr on failure.

  presign        {"access_key", "secret_key", "session_token"?, "region", "endpoint_url"?, "path_style",
                  "method": "GET" | "PUT", "bucket", "key", "expires", "timestamp" (seconds since 1970),
                  "content_type"?, "content_length"?, "if_none_match"?,
                  "response_content_disposition"?, "response_content_type"?}          -> {"url"}
  create-bucket  {"endpoint_url", "region", "access_key", "secret_key", "bucket"}  -> {}
  create-user    {"endpoint_url", "region", "access_key", "secret_key"}  -> {"access_key", "secret_key"}
                 (moto: an IAM user allowed every S3 action)
  moto           {"port"}  moto's server on 127.0.0.1:port, until killed or until its parent (the tests) is gone
  gate           {"port", "upstream", "access_key", "secret_key"}  serves until killed (or orphaned); prints {"listening"}
                 An HTTP proxy in front of moto that checks presigned URLs as S3 does (moto does not): the
                 signature, recomputed by botocore from the request as received, and the expiry; refused
                 requests get S3's 403 error body. Other requests go through unchanged.

Needs: pip install boto3
"""

import datetime
import http.client
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
from botocore.config import Config


def client(args, path_style=True):
    return boto3.session.Session().client(
        "s3",
        region_name=args["region"],
        endpoint_url=args.get("endpoint_url"),
        aws_access_key_id=args["access_key"],
        aws_secret_access_key=args["secret_key"],
        aws_session_token=args.get("session_token"),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if path_style else "virtual"},
            retries={"max_attempts": 1},
        ),
    )


def presign(args):
    frozen = datetime.datetime.fromtimestamp(args["timestamp"], datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda remove_tzinfo=True: frozen
    s3 = client(args, path_style=args["path_style"])
    params = {"Bucket": args["bucket"], "Key": args["key"]}
    if args["method"] == "PUT":
        operation = "put_object"
        params["ContentType"] = args["content_type"]
        if "content_length" in args:
            params["ContentLength"] = args["content_length"]
        if args.get("if_none_match"):
            params["IfNoneMatch"] = args["if_none_match"]
    else:
        operation = "get_object"
        if "response_cache_control" in args:
            params["ResponseCacheControl"] = args["response_cache_control"]
        if "response_content_encoding" in args:
            params["ResponseContentEncoding"] = args["response_content_encoding"]
        if "response_content_disposition" in args:
            params["ResponseContentDisposition"] = args["response_content_disposition"]
        if "response_content_type" in args:
            params["ResponseContentType"] = args["response_content_type"]
    url = s3.generate_presigned_url(operation, Params=params, ExpiresIn=args["expires"], HttpMethod=args["method"])
    return {"url": url}


def create_bucket(args):
    client(args).create_bucket(Bucket=args["bucket"])
    return {}


def create_user(args):
    iam = boto3.session.Session().client(
        "iam",
        region_name=args["region"],
        endpoint_url=args["endpoint_url"],
        aws_access_key_id=args["access_key"],
        aws_secret_access_key=args["secret_key"],
    )
    iam.create_user(UserName="relay")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="relay", PolicyName="s3", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="relay")["AccessKey"]
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


def presigned_refusal(method, target, headers, args):
    """None when the presigned request is valid now; otherwise S3's error code and message."""
    path, _, query = target.partition("?")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    given = dict(pairs)
    scope = given["X-Amz-Credential"].split("/")
    if scope[0] != args["access_key"]:
        return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
    signed_at = datetime.datetime.strptime(given["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    expires = int(given["X-Amz-Expires"])
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if now > signed_at + datetime.timedelta(seconds=expires):
        return "AccessDenied", "Request has expired"
    names = given["X-Amz-SignedHeaders"].split(";")
    lowered = {name.lower(): value for name, value in headers.items()}
    if any(name not in lowered for name in names):
        return "AccessDenied", "There were headers present in the request which were not signed"
    rest = [(k, v) for k, v in pairs if not k.startswith("X-Amz-")]
    url = "http://" + lowered["host"] + path + ("?" + urllib.parse.urlencode(rest, quote_via=urllib.parse.quote) if rest else "")
    request = botocore.awsrequest.AWSRequest(method=method, url=url, headers={name: lowered[name] for name in names})
    botocore.auth.get_current_datetime = lambda remove_tzinfo=True: signed_at
    credentials = botocore.credentials.Credentials(args["access_key"], args["secret_key"], given.get("X-Amz-Security-Token"))
    botocore.auth.S3SigV4QueryAuth(credentials, "s3", scope[2], expires=expires).add_auth(request)
    expected = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query))["X-Amz-Signature"]
    if expected != given["X-Amz-Signature"]:
        return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
    return None


def exit_when_orphaned():
    """Ends the process when the tests that started it are gone (a crashed test run leaves no server behind)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def moto(args):
    import moto.server

    exit_when_orphaned()
    moto.server.main(["-H", "127.0.0.1", "-p", str(args["port"])])


def gate(args):
    exit_when_orphaned()
    upstream = urllib.parse.urlsplit(args["upstream"])

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name: value for name, value in self.headers.items()}
            if "X-Amz-Signature=" in self.path:
                refusal = presigned_refusal(self.command, self.path, headers, args)
                if refusal:
                    answer = f"<Error><Code>{refusal[0]}</Code><Message>{refusal[1]}</Message></Error>".encode()
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(answer)
                    return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            connection.request(self.command, self.path, body=body if self.command in ("PUT", "POST") else None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else response.getheader("Content-Length") or 0))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            connection.close()

        do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = relay

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args["port"]), Handler)
    print(json.dumps({"listening": args["port"]}), flush=True)
    server.serve_forever()


COMMANDS = {"moto": moto, "gate": gate, "presign": presign, "create-bucket": create_bucket, "create-user": create_user}

if __name__ == "__main__":
    command, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(COMMANDS[command](arguments)))
