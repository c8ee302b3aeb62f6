#!/usr/bin/env bash
# Starts Azurite from the project's npm lock file on free loopback ports, in the background.
# Usage: source scripts/azurite.sh   -> exports PLATEBLUR_STORAGE (connection string) and AZURITE_PID; stop_azurite stops it.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
AZURITE_DIR="$(mktemp -d /tmp/plateblur-azurite.XXXXXX)"
blob_port=$(free_port); queue_port=$(free_port); table_port=$(free_port)
"$root/node_modules/.bin/azurite" --silent --location "$AZURITE_DIR" \
  --blobHost 127.0.0.1 --blobPort "$blob_port" --queueHost 127.0.0.1 --queuePort "$queue_port" \
  --tableHost 127.0.0.1 --tablePort "$table_port" \
  --disableTelemetry --skipApiVersionCheck --loose >"$AZURITE_DIR/azurite.log" 2>&1 &
AZURITE_PID=$!
for _ in $(seq 1 100); do
  if (echo > "/dev/tcp/127.0.0.1/$blob_port") 2>/dev/null; then break; fi
  sleep 0.1
done
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export PLATEBLUR_STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"
export AZURITE_PID AZURITE_DIR
stop_azurite() { kill "$AZURITE_PID" 2>/dev/null || true; wait "$AZURITE_PID" 2>/dev/null || true; rm -rf "$AZURITE_DIR"; }
echo "azurite: blob on 127.0.0.1:$blob_port (pid $AZURITE_PID)" >&2
