#!/usr/bin/env bash
# Fills a running Plaza with two participating stores and their products, unless the catalog
# already has products. Used by `make demo`, after the services are up.
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

inventory=$(service_address inventory)
token=$(admin_token demo)
call() { "$GRPCURL" -plaintext -H "authorization: Bearer $token" -d "$2" "$inventory" "plaza.inventory.v1.InventoryService/$1"; }
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

if call GetCatalog '{"page_size": 1}' | grep -q '"products"'; then
    say "the catalog already has products; adding none"
    exit 0
fi

add_store() {
    local name=$1 location=$2 id
    id=$(call CreateStore "{\"name\": \"$name\", \"location\": \"$location\"}" | field id)
    call EnableParticipation "{\"id\": \"$id\"}" >/dev/null
    printf '%s\n' "$id"
}

add_product() {
    call AddProduct "{\"store_id\": \"$1\", \"name\": \"$2\", \"description\": \"$3\", \"price_cents\": $4, \"stock\": $5}" >/dev/null
}

corner=$(add_store "Corner Shop" "Main Street 1")
add_product "$corner" "Green tea" "Loose leaf, 100 g" 450 40
add_product "$corner" "Espresso beans" "Dark roast, 250 g" 890 25
add_product "$corner" "Honey" "Wildflower, 500 g" 725 3
harbour=$(add_store "Harbour Market" "Quay 7")
add_product "$harbour" "Sourdough loaf" "Baked this morning" 380 12
add_product "$harbour" "Smoked salmon" "150 g" 1290 6

say "added 2 stores and 5 products; payments answers after 5 s, inventory after 15 s"
