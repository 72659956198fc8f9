#!/usr/bin/env bash
# Opens every workbook under a published folder in LibreOffice (headless PDF export) and
# reports which ones it could not convert. Not part of CI: needs `apt-get install
# libreoffice-calc-nogui`. Usage: scripts/open_in_libreoffice.sh data/output/latest
set -euo pipefail
folder=${1:?usage: $0 PUBLISHED_FOLDER}
command -v soffice >/dev/null || { echo "soffice not found (apt-get install libreoffice-calc-nogui)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok=0; failed=0
while IFS= read -r -d '' book; do
  name=$(basename "${book%.xlsx}")
  if soffice --headless -env:UserInstallation=file://"$tmp"/profile --convert-to pdf \
       --outdir "$tmp" "$book" >/dev/null 2>&1 && [ -s "$tmp/$name.pdf" ]; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1)); echo "FAILED: $book"
  fi
  rm -f "$tmp/$name.pdf"
done < <(find -L "$folder" -name '*.xlsx' -print0 | sort -z)
echo "LibreOffice opened $ok workbook(s); $failed failed"
[ "$failed" -eq 0 ]
