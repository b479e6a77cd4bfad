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

Needs: pip install boto3
"""

import datetime
import json
import sys

import boto3
import botocore.auth
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


COMMANDS = {"presign": presign, "create-bucket": create_bucket, "create-user": create_user}

if __name__ == "__main__":
    command, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(COMMANDS[command](arguments)))
