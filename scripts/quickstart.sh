#!/usr/bin/env bash
# Quickstart: trains the default model (linear n-grams) on GoEmotions, evaluates it on the test split
# and labels a few sentences. Datasets come from $SENTIO_DATA_DIR, else ../shared/data beside the
# repository when present, else they are downloaded into $SENTIO_HOME (default ~/.sentio).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -z "${SENTIO_DATA_DIR:-}" ] && [ -d ../shared/data ]; then export SENTIO_DATA_DIR=$(realpath ../shared/data); fi

dotnet build src/Sentio.Cli -c Release -v quiet -nologo
sentio() { dotnet src/Sentio.Cli/bin/Release/net10.0/Sentio.Cli.dll "$@"; }

sentio train --config configs/goemotions-linear.yaml --output-dir runs
run=$(ls -td runs/*/ | head -n 1)
sentio eval --model-path "$run" --split test
sentio predict --model-path "$run" \
  --text "Thank you so much, this made my day!" \
  --text "I can't believe they cancelled it again. So annoying." \
  --text "Wait, what? How does that even work?" \
  --text "I'm so sorry for your loss."
