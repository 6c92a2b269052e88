#!/usr/bin/python3
"""Signs sign_request.json with botocore's SigV4Auth, timed like a micro-benchmark.

    /usr/bin/python3 sign_botocore.py [--iterations N]

Run with /usr/bin/python3: Debian's python3-botocore lives there. Prints one JSON line:
{name, ns_per_op, cpu_ns_per_op, iterations, authorization} (wall and process CPU time per
signature). Each iteration is one SigV4Auth.add_auth on the same AWSRequest (add_auth replaces its own X-Amz-Date and Authorization), which is what botocore does
for every request it sends, the signing key's derivation included (botocore caches no key).
The clock is pinned to the request's date only for the one call whose Authorization is printed
(benchmarks/run checks it equals the other signers'); the timed loop runs on the real clock.
"""
import argparse
import datetime
import json
import os
import sys
import time
from unittest import mock

try:
    import botocore
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as exc:
    sys.stderr.write(f"sign_botocore: cannot import botocore ({exc}); install python3-botocore "
                     "and run with /usr/bin/python3\n")
    sys.exit(3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20000)
    args = parser.parse_args()
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sign_request.json")) as f:
        req = json.load(f)

    request = AWSRequest(method=req["method"], url=f"https://{req['host']}{req['path']}",
                         data=req["body"].encode("utf-8"))
    for name, value in req["headers"].items():
        if name != "x-amz-date":  # add_auth sets X-Amz-Date itself
            request.headers[name] = value
    auth = botocore.auth.SigV4Auth(Credentials(req["access_key"], req["secret_key"]),
                                   req["service"], req["region"])

    now = datetime.datetime.strptime(req["amz_date"], "%Y%m%dT%H%M%SZ")
    with mock.patch.object(botocore.auth.datetime, "datetime",
                           mock.Mock(wraps=datetime.datetime)) as clock:
        clock.utcnow.return_value = now
        auth.add_auth(request)
    authorization = request.headers["Authorization"]

    for _ in range(min(args.iterations, 2000)):  # warm-up
        auth.add_auth(request)
    cpu0, t0 = time.process_time_ns(), time.perf_counter_ns()
    for _ in range(args.iterations):
        auth.add_auth(request)
    ns = (time.perf_counter_ns() - t0) / args.iterations
    cpu_ns = (time.process_time_ns() - cpu0) / args.iterations
    print(json.dumps({"name": f"botocore {botocore.__version__} SigV4Auth",
                      "ns_per_op": round(ns), "cpu_ns_per_op": round(cpu_ns),
                      "iterations": args.iterations,
                      "authorization": authorization}))


if __name__ == "__main__":
    main()
