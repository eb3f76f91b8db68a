#!/usr/bin/env bash
# Gradescope autograder setup: runs once when the autograder image is built.
# Zip this folder's two files together with the whole course repository under source/
# (Gradescope unpacks the upload to /autograder/source).
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
  || /autograder/venv/bin/pip install --quiet torch==2.13.0
/autograder/venv/bin/pip install --quiet -e /autograder/source
