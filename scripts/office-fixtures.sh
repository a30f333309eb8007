#!/bin/sh
# Re-make the workbooks in tests/fixtures/office/ that LibreOffice itself saved.
# Not part of `make test` (which only reads them): needs Debian's
# libreoffice-calc-nogui (`apt-get install --no-install-recommends libreoffice-calc-nogui`).
#   demo.xlsx   the demo scenario (src/nsatu/demo/scenario), written by us, opened and saved by LibreOffice Calc
#   small.xlsx  `nsatu synth --scale small --seed 11`, the same way
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/tests/fixtures/office"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py="$here/.venv/bin/python"
"$here/.venv/bin/nsatu" synth --scale small --seed 11 "$work/small" >/dev/null
"$py" - "$here/src/nsatu/demo/scenario" "$work/small" "$work" <<'PY'
import sys
from pathlib import Path
from nsatu.planner.scenario import read_scenario, write_scenario
demo, small, work = (Path(a) for a in sys.argv[1:])
(work / "in").mkdir()
write_scenario(read_scenario(demo), work / "in" / "demo.xlsx", xlsx=True)
write_scenario(read_scenario(small), work / "in" / "small.xlsx", xlsx=True)
PY
soffice --headless --norestore "-env:UserInstallation=file://$work/profile" \
    --convert-to 'xlsx:Calc MS Excel 2007 XML' --outdir "$out" "$work/in/demo.xlsx" "$work/in/small.xlsx"
ls -l "$out"
