#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need when they are missing: Chromium (the
# tests drive /usr/bin/chromium; browsers cannot be downloaded by npm here), the Fashion-MNIST
# test images that the product-photo tests score, and the Python modules with which
# training/test-models/build.py writes the models that the bring-your-own-model tests open.
set -euo pipefail

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
[ -x /usr/bin/python3 ] || missing+=(python3)
for module in onnx:python3-onnx numpy:python3-numpy PIL:python3-pil; do
  /usr/bin/python3 -c "import ${module%%:*}" 2>/dev/null || missing+=("${module#*:}")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "Installing Debian packages for the tests: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
