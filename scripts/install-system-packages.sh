#!/usr/bin/env bash
# Install the Debian packages Wenku needs, only those missing; uses sudo when not root.
#   scripts/install-system-packages.sh runtime   # LibreOffice, fonts, PDF tools
#   scripts/install-system-packages.sh test      # runtime + Chromium for browser tests
set -euo pipefail

runtime=(
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
  libreoffice-draw-nogui python3-uno python3-venv python3-dev
  fonts-noto-cjk fonts-noto-core fonts-liberation2 fonts-crosextra-carlito
  fonts-crosextra-caladea fonts-lxgw-wenkai fontconfig qpdf
  libpango-1.0-0 libpangoft2-1.0-0 gettext
)
test_only=(chromium curl wget nginx-light)

packages=("${runtime[@]}")
if [ "${1:-runtime}" = "test" ]; then
  packages+=("${test_only[@]}")
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
