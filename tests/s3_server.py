"""``S3Server``: moto's standalone S3-compatible server on a free loopback port (tests and benchmarks).

    with S3Server() as server:
        server.client().create_bucket(Bucket="flatfiles")

``auth=True`` switches moto's request authentication on (``INITIAL_NO_AUTH_ACTION_COUNT``): the
server's first three calls create an IAM user with an allow-all policy and an access key, and from
then on only that key (``access_key_id``, ``secret_access_key``) is accepted; unknown keys get
``InvalidAccessKeyId``, a wrong secret ``SignatureDoesNotMatch``, ``HeadBucket`` a bare 403.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Credentials of a server without authentication (moto accepts any); never real ones.
TEST_KEYS = ("testing", "testing")
REGION = "us-east-1"
_SETUP_CALLS = 3  # create_user, put_user_policy, create_access_key
_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def free_port() -> int:
    """A loopback TCP port nobody listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(**extra: str) -> dict[str, str]:
    """``os.environ`` without any AWS setting, with the test credentials and region, plus ``extra``."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(AWS_ACCESS_KEY_ID=TEST_KEYS[0], AWS_SECRET_ACCESS_KEY=TEST_KEYS[1],
                       AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    environment.update(extra)
    return environment


class S3Server:
    """``python -m moto.server`` on ``127.0.0.1``, started by ``start()`` (or ``with``) and stopped by ``stop()``."""

    def __init__(self, *, auth: bool = False, start_timeout: float = 30.0) -> None:
        self.auth, self.start_timeout = auth, start_timeout
        self.port: int | None = None
        self.access_key_id, self.secret_access_key = TEST_KEYS
        self._process: subprocess.Popen | None = None
        self._log: Path | None = None

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def __repr__(self) -> str:
        return f"S3Server({self.endpoint if self.port else 'stopped'}, auth={self.auth})"

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> S3Server:
        """Start the server and wait until it accepts connections (and, with ``auth``, create its key)."""
        self.port = free_port()
        extra = {"INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_CALLS)} if self.auth else {}
        handle, name = tempfile.mkstemp(prefix="moto-server-", suffix=".log")
        self._log = Path(name)
        with os.fdopen(handle, "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                env=clean_environment(**extra), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self._wait()
        if self.auth:
            self._create_key()
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        log = self._log.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"moto's server did not start within {self.start_timeout:g}s; its output:\n{log}")

    def _create_key(self) -> None:
        iam = self.client("iam")
        iam.create_user(UserName="research-env")
        iam.put_user_policy(UserName="research-env", PolicyName="allow-all", PolicyDocument=json.dumps(_ALLOW_ALL))
        key = iam.create_access_key(UserName="research-env")["AccessKey"]
        self.access_key_id, self.secret_access_key = key["AccessKeyId"], key["SecretAccessKey"]

    def client(self, service: str = "s3", *, access_key_id: str | None = None, secret_access_key: str | None = None):
        """A boto3 client of this server (path-style addressing), with the server's credentials by default."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}))

    def stop(self) -> None:
        """Terminate the server (kill it after 5 s) and remove its log."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None
