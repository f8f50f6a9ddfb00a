#!/bin/sh
# make_certs.sh DIR - a throwaway PKI for the mutual TLS tests (openssl, EC P-256, 2 days):
#   ca.pem                         the CA sathd trusts for client certificates and the
#                                  client trusts for sathd's certificate
#   server.pem server.key          sathd, for the name "sathd.test" only (no IP address:
#                                  connecting to 127.0.0.1 needs the server-name override)
#   client.pem client.key          a client certificate signed by ca.pem
#   other-client.pem other-client.key  a client certificate of another CA (must be refused)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # ca NAME CN
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() { # leaf NAME CA CN EXT
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
ca ca "SATH test CA"
ca other-ca "Another CA"
leaf server ca sathd.test "subjectAltName=DNS:sathd.test
extendedKeyUsage=serverAuth"
leaf client ca "sdk client" "extendedKeyUsage=clientAuth"
leaf other-client other-ca "stranger" "extendedKeyUsage=clientAuth"
chmod 600 ./*.key
