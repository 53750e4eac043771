#!/bin/bash
# Alternates before (8b427bf: jsonb) and after (jsoncol: json) runs of the two benches.
set -u
cd /work/wt-json
OUT=/tmp/js_bench
for round in $ROUNDS; do
  for side in $SIDES; do
    if [ $side = before ]; then git checkout -q 8b427bf; else git checkout -q jsoncol; fi
    echo "== round $round $side $(git rev-parse --short HEAD) $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a $OUT/log.txt
    if [ "$BENCH" = http ] || [ "$BENCH" = both ]; then
      .venv/bin/python -m bench http --no-sqlite --workers 2 --agencies 1,8 --database-url postgresql://postgres@127.0.0.1:5432/js_bench > $OUT/http-$side-$round.txt 2>&1
      cp bench/results/http.json $OUT/http-$side-$round.json
      git checkout -q -- bench/results
      echo "   http done $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a $OUT/log.txt
    fi
    if [ "$BENCH" = bulk ] || [ "$BENCH" = both ]; then
      .venv/bin/python -m bench bulk --bulk-records 200000 --xlsx-rows 0 --no-frictionless --no-sqlite --database-url postgresql://postgres@127.0.0.1:5432/js_bulk > $OUT/bulk-$side-$round.txt 2>&1
      cp bench/results/bulk.json $OUT/bulk-$side-$round.json
      git checkout -q -- bench/results
      echo "   bulk done $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a $OUT/log.txt
    fi
  done
done
git checkout -q jsoncol
