#!/bin/sh
# The photo folder of docs/TRAINING.md's crop example: scikit-image's sample photographs, from Debian's
# python3-skimage package (only downloaded and unpacked: nothing is installed, no root needed).
#
#   tools/skimage_photos.sh [OUT]        # default runs/photos → OUT/train/ (8 images), OUT/test/chelsea.png
#
# Licences (scikit-image's skimage/data/_fetchers.py, the package's own record):
#   astronaut.png          NASA (Eileen Collins), public domain
#   hubble_deep_field.jpg  NASA, public domain
#   coffee.png             CC0, photo by Rachel Michetti (courtesy of Pikolo Espresso Bar)
#   camera.png             CC0, photo by Lav Varshney
#   coins.png              Brooklyn Museum, no known copyright restrictions
#   brick.png, grass.png, gravel.png   CC0 textures (CC0Textures, DeviantArt linolafett)
#   chelsea.png (test)     CC0, photo by Stefan van der Walt
set -e
OUT=${1:-runs/photos}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && apt-get download python3-skimage >/dev/null && dpkg-deb -x python3-skimage_*.deb x)
D="$TMP/x/usr/lib/python3/dist-packages/skimage/data"
rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp/train" "$OUT.tmp/test"
for f in astronaut.png hubble_deep_field.jpg coffee.png camera.png coins.png brick.png grass.png gravel.png; do cp "$D/$f" "$OUT.tmp/train/"; done
cp "$D/chelsea.png" "$OUT.tmp/test/"
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
echo "wrote $OUT/train ($(ls "$OUT/train" | wc -l) images) and $OUT/test/chelsea.png (python3-skimage $(dpkg-deb -f "$TMP"/python3-skimage_*.deb Version))"
