#!/usr/bin/env bash
# The browser walkthrough (web/e2e/walkthrough.mjs) in headless Chromium against the whole
# stack that `make run` starts. When the stack is not running, it is started here and stopped
# again afterwards; a stack that runs is used (and restarted where its build is older). The
# admin steps sign in with a fresh admin token of that stack (PLAZA_ADMIN_TOKEN).
# Screenshots go to web/test-output/e2e/.
#
# Usage: e2e.sh SERVICE...   (the Makefile passes $(SERVICES))
set -euo pipefail
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CHROMIUM=${PLAZA_CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || die "$CHROMIUM not found: run deploy/local/install.sh (it installs Debian's chromium)"

use_stack "$@"

PLAZA_ADMIN_TOKEN="$(admin_token)" || die "no admin token for the walkthrough's admin sign-in"
export PLAZA_ADMIN_TOKEN

say "the browser walkthrough (web/e2e/walkthrough.mjs)"
PLAZA_CHROMIUM=$CHROMIUM node "$PLAZA_ROOT/web/e2e/walkthrough.mjs"
