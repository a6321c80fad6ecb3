#!/usr/bin/env python3
"""Configures a running moto server as the tests' S3: an IAM user with an s3:* key, a bucket,
then signature checking switched on (moto's reset-auth). Prints "ACCESS_KEY SECRET_KEY".

  python3 scripts/moto_s3.py http://127.0.0.1:PORT BUCKET
Shared by the Swift tests (Tests/HubStorageTests/MotoServer.swift) and the e2e tests.
"""
import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.request

import boto3


def wait_until_ready(url):
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return
        except Exception:
            time.sleep(0.05)


@contextlib.contextmanager
def running(bucket=None):
    """A moto server on a free loopback port, stopped on exit; yields its URL. With `bucket`, the
    bucket is made (any credentials work: signature checking stays off until `configure`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url)
        if bucket:
            boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="any",
                         aws_secret_access_key="any").create_bucket(Bucket=bucket)
        yield url
    finally:
        process.terminate()
        process.wait()


def configure(url, bucket):
    wait_until_ready(url)
    setup = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="hub")
    key = iam.create_access_key(UserName="hub")["AccessKey"]
    iam.put_user_policy(UserName="hub", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    boto3.client("s3", **setup).create_bucket(Bucket=bucket)
    # From here on moto checks every signature.
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST",
                                                  headers={"Content-Type": "text/plain"}))
    return key["AccessKeyId"], key["SecretAccessKey"]


if __name__ == "__main__":
    print(*configure(sys.argv[1], sys.argv[2]))
