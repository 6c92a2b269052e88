#!/usr/bin/python3
"""Signs requests with botocore's SigV4Auth, the reference the C++ signer is checked against.

Run with /usr/bin/python3: Debian's python3-botocore lives there, not in a pyenv or venv Python.

stdin:  a JSON array of cases, each
        {method, host, headers: [[name, value], ...], body, region, service, amz_date,
         access_key, secret_key, token}   (token "" when there is none)
stdout: a JSON array, one object per case, in order:
        {canonical_request, string_to_sign, authorization}, or {error} when the case is not
        one both signers can sign alike.
Exit status 3 when botocore cannot be imported, so the caller fails instead of passing.

Alignment with the C++ signer, which signs exactly the headers it is given:
  - SigV4Auth.add_auth replaces X-Amz-Date with its own clock's time and X-Amz-Security-Token
    with the credentials' token. The clock is pinned to amz_date, and the case must carry both
    headers with those very values; the oracle checks that botocore's headers equal the case's.
  - botocore never signs User-Agent, Expect and X-Amzn-Trace-Id; a case carrying them is refused.
  - The body is signed as its hex SHA-256: botocore's payload signing is on unless an operation
    turns it off (only some S3 operations do), and X-Amz-Content-SHA256 is never sent here.
"""
import datetime
import json
import sys
from unittest import mock

try:
    import botocore
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as exc:  # the C++ test reports this text
    sys.stderr.write(f"botocore_oracle: cannot import botocore ({exc}); "
                     "install python3-botocore and run with /usr/bin/python3\n")
    sys.exit(3)


def _lower_pairs(pairs):
    return sorted((name.lower(), value.strip()) for name, value in pairs)


def sign(case):
    headers = [tuple(h) for h in case["headers"]]
    names = {name.lower() for name, _ in headers}
    refused = names & set(botocore.auth.SIGNED_HEADERS_BLACKLIST)
    if refused:
        return {"error": f"botocore never signs {sorted(refused)}"}
    values = {name.lower(): value.strip() for name, value in headers}
    if values.get("x-amz-date") != case["amz_date"]:
        return {"error": "the X-Amz-Date header must equal amz_date"}
    if values.get("x-amz-security-token", "") != case["token"]:
        return {"error": "X-Amz-Security-Token must be present exactly when token is, with its value"}

    host = case["host"]
    scheme = "http" if host.startswith(("127.0.0.1", "localhost")) else "https"
    request = AWSRequest(method=case["method"], url=f"{scheme}://{host}/",
                         data=case["body"].encode("utf-8"))
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeats are kept, in order

    credentials = Credentials(case["access_key"], case["secret_key"], case["token"] or None)
    auth = botocore.auth.SigV4Auth(credentials, case["service"], case["region"])
    now = datetime.datetime.strptime(case["amz_date"], "%Y%m%dT%H%M%SZ")
    with mock.patch.object(botocore.auth.datetime, "datetime",
                           mock.Mock(wraps=datetime.datetime)) as clock:
        clock.utcnow.return_value = now
        auth.add_auth(request)

    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]  # add_auth signs without it; so must the replay below
    if _lower_pairs(request.headers.items()) != _lower_pairs(headers):
        return {"error": "botocore signed other headers than the case's: "
                         f"{sorted(n for n, _ in _lower_pairs(request.headers.items()))}"}
    # add_auth left request.context['timestamp'] = amz_date: these are the strings it signed.
    canonical_request = auth.canonical_request(request)
    return {
        "canonical_request": canonical_request,
        "string_to_sign": auth.string_to_sign(request, canonical_request),
        "authorization": authorization,
    }


def main():
    cases = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    json.dump([sign(case) for case in cases], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
