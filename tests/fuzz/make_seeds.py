#!/usr/bin/env python3
"""Writes the seed corpora under corpus/<target>/ (committed; rerun after editing).

Seeds are small, valid-looking inputs of each shape a target meets, so that the fuzzer starts
from the interesting paths: a found app, not found, an ambiguous key, errors, chunked bodies...
The FuzzedDataProvider targets (error_body, sigv4_canonical) read strings from the front
(a backslash + another byte ends one) and integers from the back."""
import base64, json, os, zlib

here = os.path.dirname(os.path.abspath(__file__))
data_dir = os.path.join(here, "..", "data")


def write(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def b(s):
    return base64.b64encode(s.encode()).decode()


seed = json.load(open(os.path.join(data_dir, "seed_item.json")))
webhooks = json.load(open(os.path.join(data_dir, "webhooks.json")))
native = json.load(open(os.path.join(data_dir, "webhooks_native.json")))
full = dict(seed)
full.update({
    "Enabled": {"BOOL": True}, "EnableClientMessages": {"S": "true"},
    "EnableUserAuthentication": {"N": "1"}, "MaxPresenceMemberSizeInKb": {"N": "1.5"},
    "MaxEventPayloadInKb": {"S": "100"}, "MaxEventBatchSize": {"N": "10"},
    "MaxChannelNameLength": {"S": "200"}, "Webhooks": {"S": json.dumps(webhooks)},
})
with_native = dict(seed, Webhooks=native)
wrong = {k: {"BOOL": True} for k in seed}
wrong.update(AppId={"S": "app-id"}, AppKey={"S": "app-key"})

bodies = {
    "get_found": {"Item": seed},
    "get_full": {"Item": full},
    "get_native_webhooks": {"Item": with_native},
    "get_other_app": {"Item": dict(seed, AppId={"S": "other"})},
    "get_not_found": {},
    "get_wrong_types": {"Item": wrong},
    "get_null_attr": {"Item": dict(seed, MaxConnections={"NULL": True})},
    "query_found": {"Items": [seed], "Count": 1, "ScannedCount": 1},
    "query_none": {"Items": [], "Count": 0, "ScannedCount": 0},
    "query_two": {"Items": [seed, dict(seed, AppId={"S": "app-2"})], "Count": 2},
    "query_flags_b": {"Items": [dict(seed, Enabled={"B": b("0")}, EnableClientMessages={"B": b("1")})]},
}
for name, body in bodies.items():
    write("dynamodb_body", name, json.dumps(body))
write("dynamodb_body", "bare_item", json.dumps(full))
write("dynamodb_body", "not_json", "<html>502 Bad Gateway</html>")


def response(status, reason, body, headers=(), chunked=False, crc=True):
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/x-amz-json-1.0",
             "x-amzn-RequestId: 7b3c0e5e-1111-2222-3333-444455556666"]
    if crc:
        lines.append(f"x-amz-crc32: {zlib.crc32(body.encode())}")
    lines += list(headers)
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        half = len(body) // 2
        payload = f"{half:x}\r\n{body[:half]}\r\n{len(body) - half:x};ext=1\r\n{body[half:]}\r\n0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    return "\r\n".join(lines) + "\r\n\r\n" + payload


def http(name, text, read_size=0, cap=2):
    write("http_response", name, bytes([read_size, cap]) + (text.encode() if isinstance(text, str) else text))


http("get_found", response(200, "OK", json.dumps({"Item": seed})))
http("get_found_drip", response(200, "OK", json.dumps({"Item": seed})), read_size=1)
http("query_found_chunked", response(200, "OK", json.dumps({"Items": [seed]}), chunked=True), read_size=7)
http("query_none", response(200, "OK", json.dumps({"Items": []}), ["Date: Sun, 06 Nov 1994 08:49:37 GMT"]))
http("not_found_small_cap", response(200, "OK", json.dumps({})), cap=0)
http("too_large", response(200, "OK", json.dumps({"Item": full})), cap=1)
http("error_400", response(400, "Bad Request", json.dumps(
    {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
     "message": "Requested resource not found"})))
http("error_header_type", response(400, "Bad Request", "", ["x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/"]))
http("error_500_empty", response(500, "Internal Server Error", ""))
http("error_503", response(503, "Service Unavailable", "<html>unavailable</html>", crc=False))
http("skew", response(400, "Bad Request", json.dumps(
    {"__type": "com.amazon.coral.service#InvalidSignatureException",
     "message": "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z"}),
    ["Date: Sun, 30 Aug 2015 12:46:00 GMT"]))
http("bad_crc", response(200, "OK", json.dumps({"Item": seed}), ["x-amz-crc32: 12345"], crc=False))
http("gzip", b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n" +
     b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae\x05\x00\x43\xbf\xa6\xa3\x02\x00")
http("close_delimited", "HTTP/1.0 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n\r\n" + json.dumps({"Item": seed}))
http("continue_then_ok", "HTTP/1.1 100 Continue\r\n\r\n" + response(200, "OK", "{}"))
http("html_200", response(200, "OK", "<html>hello</html>", crc=False))

# error_body: type header, request id, then the body; the tail feeds status, flags, secrets.
tail = bytes(range(1, 65))
for name, (typ, rid, body) in {
    "resource_not_found": ("", "REQ1", json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "Requested resource not found"})),
    "header_only": ("ProvisionedThroughputExceededException:http://internal.amazon.com/", "REQ2", ""),
    "Message_capital": ("", "", json.dumps({"__type": "com.amazon.coral.validate#ValidationException", "Message": "x" * 600})),
    "html": ("", "", "<html><body>Bad Gateway</body></html>"),
    "skew": ("", "R", json.dumps({"__type": "com.amazon.coral.service#InvalidSignatureException", "message": "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125100Z - 5 min.)"})),
}.items():
    write("error_body", name, f"{typ}\\ {rid}\\ {body}".encode() + tail)

# sigv4_canonical: method, path, query, then header names/values, key id, secret, region,
# service; the tail feeds the counts, the choices and the date digits.
for name, text in {
    "dynamodb_post": "POST\\ /\\ \\ host\\ dynamodb.us-east-1.amazonaws.com\\ x-amz-date\\ 20150830T123600Z\\ AKIDEXAMPLE\\ wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\\ us-east-1\\ dynamodb\\ {\"TableName\":\"apps\"}",
    "get_query": "GET\\ /a/./b/../c//d/\\ b=2&a=1&a=%41&c&=x&%zz\\ My-Header\\   a   b \t c \\ AKID\\ secret\\ eu-west-1\\ s3\\ ",
    "utf8_path": "GET\\ /\xc3\xa9t\xc3\xa9/%2F\\ q=\xe2\x82\xac\\ X-Amz-Meta-A\\ v1\\ x-amz-meta-a\\ v2\\ K\\ S\\ r/x\\ s\\ ",
}.items():
    write("sigv4_canonical", name, text.encode("latin-1") + bytes(range(3, 40)))

# webhooks_json: webhooks documents and soketi app objects.
write("webhooks_json", "webhooks", json.dumps(webhooks))
write("webhooks_json", "empty", "[]")
write("webhooks_json", "lambda_only", json.dumps([{"lambda_function": "f", "event_types": ["client_event"], "lambda": {"async": False}}]))
write("webhooks_json", "bad_types", json.dumps([{"url": 1, "event_types": "x"}]))
write("webhooks_json", "no_target", json.dumps([{"event_types": []}]))
apps = json.load(open(os.path.join(data_dir, "static_apps.json")))["apps"]
for i, app in enumerate(apps):
    write("webhooks_json", f"app_{i}", json.dumps(app))
write("webhooks_json", "app_webhooks_string", json.dumps(dict(apps[0], webhooks=json.dumps(webhooks))))
