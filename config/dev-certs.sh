#!/usr/bin/env bash
# Development certificates for gridmq's tls:// listeners (never for production).
#
#   config/dev-certs.sh DIR [N]
#
# Creates in DIR (skipping every file that already exists, so it can run on each start):
#   ca.pem ca.key              the dev CA (EC P-256), signs everything below
#   server.pem server.key      the broker: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#   MTR0000001.pem/.key ...    N meter certificates (default N=3): CN=<meter id>, OU=meter,
#                              SAN URI:urn:gridmq:meter:<meter id>
#   HUB0001.pem/.key, HUB0002  two hub certificates (OU=hub)
#   OPS0001.pem/.key           one operator certificate (OU=operator)
#   expired.pem/.key           a meter certificate (CN=MTR9999998) that expired in 2020
#   revoked.pem/.key           a meter certificate (CN=MTR9999999), listed in ca.crl
#   ca.crl                     the dev CA's CRL, revoking revoked.pem
#   other-ca.pem other-ca.key  an unrelated CA, and other-client.pem/.key (CN=MTR0000001,
#                              OU=meter) signed by it: the broker must refuse it
#
# Keys are EC P-256 (fast handshakes), unencrypted, mode 600. Needs the openssl command (3.x).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 DIR [N]   (N meter certificates, default 3)" >&2
  exit 2
fi
DIR=$1
N=${2:-3}
if ! [[ $N =~ ^[0-9]+$ ]] || ((N > 9999999)); then
  echo "$0: N must be a number from 0 to 9999999" >&2
  exit 2
fi
mkdir -p "$DIR"
cd "$DIR"
umask 077

DAYS=825
CA_DB=ca-db  # the openssl ca database (index, serials) used for the CRL and the expired cert

new_key() {  # FILE
  [[ -e $1 ]] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

make_ca() {  # NAME SUBJECT
  local name=$1 subject=$2
  [[ -e $name.pem ]] && return 0
  new_key "$name.key"
  openssl req -x509 -new -key "$name.key" -sha256 -days 3650 -subj "$subject" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$name.pem"
  chmod 644 "$name.pem"
}

# sign NAME SUBJECT EXTENSIONS [CA]: a certificate NAME.pem for the key NAME.key.
sign() {
  local name=$1 subject=$2 ext=$3 ca=${4:-ca}
  [[ -e $name.pem ]] && return 0
  new_key "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
    -days "$DAYS" -sha256 -extfile <(printf '%s\n' "$ext") -out "$name.pem" 2>/dev/null
  rm -f "$name.csr"
  chmod 644 "$name.pem"
}

CLIENT_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

client_ext() {  # ROLE ID
  printf '%s\nsubjectAltName=URI:urn:gridmq:%s:%s\n' "$CLIENT_EXT" "$1" "$2"
}

make_ca ca "/O=gridmq dev/CN=gridmq dev CA"
sign server "/O=gridmq dev/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"

for ((i = 1; i <= N; i++)); do
  id=$(printf 'MTR%07d' "$i")
  sign "$id" "/O=gridmq dev/OU=meter/CN=$id" "$(client_ext meter "$id")"
done
for id in HUB0001 HUB0002; do
  sign "$id" "/O=gridmq dev/OU=hub/CN=$id" "$(client_ext hub "$id")"
done
sign OPS0001 "/O=gridmq dev/OU=operator/CN=OPS0001" "$(client_ext operator OPS0001)"

make_ca other-ca "/O=somebody else/CN=unrelated CA"
sign other-client "/O=somebody else/OU=meter/CN=MTR0000001" "$(client_ext meter MTR0000001)" \
  other-ca

# The expired and the revoked certificates go through `openssl ca`, which can back-date a
# certificate and keeps the index a CRL is made from.
if [[ ! -e $CA_DB/openssl.cnf ]]; then
  mkdir -p "$CA_DB"
  : >"$CA_DB/index.txt"
  echo 1000 >"$CA_DB/crlnumber"
  cat >"$CA_DB/openssl.cnf" <<EOF
[ca]
default_ca = dev
[dev]
dir = $CA_DB
database = \$dir/index.txt
new_certs_dir = \$dir
certificate = ca.pem
private_key = ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = none
[any]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF
  openssl rand -hex 8 >"$CA_DB/serial"
fi

ca_sign() {  # NAME SUBJECT START END
  local name=$1 subject=$2 start=$3 end=$4
  [[ -e $name.pem ]] && return 0
  new_key "$name.key"
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
  openssl ca -batch -config "$CA_DB/openssl.cnf" -extensions client -notext \
    -startdate "$start" -enddate "$end" -in "$name.csr" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr"
  chmod 644 "$name.pem"
}

ca_sign expired "/O=gridmq dev/OU=meter/CN=MTR9999998" 20190101000000Z 20200101000000Z
ca_sign revoked "/O=gridmq dev/OU=meter/CN=MTR9999999" "$(date -u +%Y%m%d000000Z)" 20350101000000Z
if [[ ! -e ca.crl ]]; then
  openssl ca -config "$CA_DB/openssl.cnf" -revoke revoked.pem -crl_reason keyCompromise 2>/dev/null
  openssl ca -config "$CA_DB/openssl.cnf" -gencrl -out ca.crl 2>/dev/null
  chmod 644 ca.crl
fi

echo "dev certificates in $(pwd): CA ca.pem, server server.pem, $N meter(s), 2 hubs, 1 operator"
