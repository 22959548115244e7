#!/usr/bin/env bash
# Real photographs for the image tests, from Debian packages (nothing is committed, nothing is fetched at test time):
#   - mate-backgrounds: the MATE desktop's nature photographs, installed under /usr/share/backgrounds/mate;
#   - python3-skimage: scikit-image's sample photographs (astronaut, chelsea, coffee, rocket, ...); only the package's
#     data folder is needed, so it is unpacked here (extracted/) rather than installed with its Python dependencies.
# Licences: see /usr/share/doc/mate-backgrounds/copyright and extracted/usr/share/doc/python3-skimage/copyright.
# Without root or apt the photo tests are reported as skipped.
set -uo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if [ ! -d /usr/share/backgrounds/mate/nature ]; then
    apt-get install -y -qq mate-backgrounds >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq mate-backgrounds >/dev/null 2>&1; } \
      || echo "note: could not install mate-backgrounds; the photo tests will be skipped"
  fi
fi
if [ ! -d extracted/usr/lib/python3/dist-packages/skimage/data ] && command -v apt-get >/dev/null; then
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download python3-skimage >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download python3-skimage >/dev/null 2>&1; }; }) \
    && dpkg -x "$tmp"/python3-skimage_*.deb extracted \
    || echo "note: could not unpack python3-skimage's sample photographs; the photo tests will be skipped"
  rm -rf "$tmp"
fi
