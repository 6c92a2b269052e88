#!/usr/bin/env bash
# Makes the TLS material of the transport tests in OUT_DIR, at test time (dynalite's own
# certificate expired in 2018): a throwaway CA and two server certificates it signs,
#   ca.pem                         the CA (what DynamoDbConfig::ca_file / AWS_CA_BUNDLE name)
#   server.pem, server.key         SAN DNS:localhost, IP:127.0.0.1
#   other.pem, other.key           SAN DNS:other.invalid only (for hostname mismatches)
# P-256 keys, valid for two days. Usage: make_certs.sh OUT_DIR
set -euo pipefail
out=${1:?usage: make_certs.sh OUT_DIR}
command -v openssl >/dev/null || { echo "make_certs: the openssl command is missing (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=pws-app-manager test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out ca.pem

leaf() { # leaf NAME CN SAN
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=$3" "authorityKeyIdentifier=keyid" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
leaf server localhost "DNS:localhost,IP:127.0.0.1"
leaf other other.invalid "DNS:other.invalid"

openssl verify -CAfile ca.pem server.pem other.pem >/dev/null
chmod 600 ./*.key
mv -f ca.pem server.pem server.key other.pem other.key "$out/"
echo "make_certs: CA and server certificates in $out"
