# shellcheck shell=bash
# Renders nginx/queunir.conf (sourced by scripts/install and by the tests, so both render the same
# way). Usage:
#   render_nginx_site TEMPLATE OUT DOMAIN CERT KEY [HTTP_PORT] [HTTPS_PORT] [WWW_ROOT] [GATEWAY] [NAME] [ACME_ROOT]
render_nginx_site() {
  local template=$1 out=$2 domain=$3 cert=$4 key=$5
  local http=${6:-80} https=${7:-443} www=${8:-/var/www/app} gateway=${9:-127.0.0.1:3000}
  local name=${10:-queunir} acme=${11:-/var/www/letsencrypt}
  local suffix=""
  [ "$https" = 443 ] || suffix=":$https"
  local v
  for v in "$domain" "$cert" "$key" "$www" "$gateway" "$name" "$acme"; do
    case $v in *'|'* | *'&'* | *'\'* | *$'\n'* | '')
      echo "render_nginx_site: refusing empty value or one with | & \\ or a newline: '$v'" >&2; return 2 ;;
    esac
  done
  [[ $domain =~ ^[A-Za-z0-9.-]+$ ]] || { echo "render_nginx_site: '$domain' is not a host name" >&2; return 2; }
  [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "render_nginx_site: '$name' is not a zone prefix" >&2; return 2; }
  sed -e "s|{{DOMAIN}}|$domain|g" -e "s|{{CERT}}|$cert|g" -e "s|{{KEY}}|$key|g" \
      -e "s|{{HTTP_LISTEN}}|$http|g" -e "s|{{HTTPS_LISTEN}}|$https|g" -e "s|{{HTTPS_SUFFIX}}|$suffix|g" \
      -e "s|{{WWW_ROOT}}|$www|g" -e "s|{{GATEWAY}}|$gateway|g" -e "s|{{NAME}}|$name|g" \
      -e "s|{{ACME_ROOT}}|$acme|g" "$template" >"$out.tmp" && mv "$out.tmp" "$out"
  if grep -v '^\s*#' "$out" | grep -q '{{'; then echo "render_nginx_site: unfilled placeholder in $out" >&2; return 1; fi
}

# A self-signed certificate for DOMAIN (RSA 2048, 10 years, SAN DNS:DOMAIN), key mode 0600.
make_self_signed_cert() {
  local domain=$1 cert=$2 key=$3
  local san="DNS:$domain"
  [[ $domain =~ ^[0-9.]+$ ]] && san="IP:$domain"
  [ "$domain" = localhost ] && san="DNS:localhost,IP:127.0.0.1"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -subj "/CN=$domain" -addext "subjectAltName=$san" -keyout "$key" -out "$cert" 2>/dev/null)
  chmod 0644 "$cert"; chmod 0600 "$key"
}
